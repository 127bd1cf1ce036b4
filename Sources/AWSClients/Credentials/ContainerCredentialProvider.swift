import AWSSigning
import Foundation
import Logging

/// ECS task and EKS Pod Identity credentials, from the container credentials endpoint.
///
/// - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`: a path on `http://169.254.170.2` (ECS).
/// - `AWS_CONTAINER_CREDENTIALS_FULL_URI`: a full URL: `https`, or `http` to a loopback
///   address or the ECS/EKS link-local endpoints only.
/// - `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read at every fetch: it rotates) or
///   `AWS_CONTAINER_AUTHORIZATION_TOKEN`: sent as the `Authorization` header.
///
/// The endpoint answers `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`. Two
/// attempts of 2 seconds each; `AWS_METADATA_SERVICE_TIMEOUT` (seconds) and
/// `AWS_METADATA_SERVICE_NUM_ATTEMPTS` change them.
///
/// - Warning: the authorization token is a secret: it never reaches a log or an error.
public struct ContainerCredentialProvider: CredentialProvider, CustomStringConvertible {
    static let name = "container"
    static let ecsHost = "http://169.254.170.2"
    let configuration: Result<(url: URL, token: String?, tokenFile: String?), CredentialError>
    let transport: any HTTPTransport
    let settings: Result<MetadataServiceSettings, CredentialError>

    /// - Parameters:
    ///   - timeout: per attempt; `nil`: `AWS_METADATA_SERVICE_TIMEOUT`, else 2 s.
    ///   - attempts: `nil`: `AWS_METADATA_SERVICE_NUM_ATTEMPTS`, else 2.
    public init(environment: [String: String], transport: any HTTPTransport, timeout: Duration? = nil,
                attempts: Int? = nil) {
        self.transport = transport
        settings = MetadataServiceSettings.resolve(provider: Self.name, environment: environment, timeout: timeout,
                                                   attempts: attempts, defaultTimeout: .seconds(2), defaultAttempts: 2)
        let token = environment.nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        let tokenFile = environment.nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        if let relative = environment.nonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            let path = relative.hasPrefix("/") ? relative : "/" + relative
            if let url = URL(string: Self.ecsHost + path), url.host != nil {
                configuration = .success((url, token, tokenFile))
            } else {
                configuration = .failure(.invalid(Self.name, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a valid path"))
            }
        } else if let full = environment.nonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            guard let url = URL(string: full), let scheme = url.scheme?.lowercased(), let host = url.host else {
                configuration = .failure(.invalid(Self.name, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL"))
                return
            }
            if scheme == "https" || (scheme == "http" && Self.isAllowedHTTPHost(host)) {
                configuration = .success((url, token, tokenFile))
            } else {
                configuration = .failure(.invalid(
                    Self.name, "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a loopback or the ECS/EKS endpoint (got host \(host))"))
            }
        } else {
            configuration = .failure(.notConfigured(Self.name, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set"))
        }
    }

    /// Loopback addresses, and the ECS (169.254.170.2) and EKS Pod Identity (169.254.170.23,
    /// fd00:ec2::23) endpoints.
    static func isAllowedHTTPHost(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23"
            || host == "fd00:ec2::23" {
            return true
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        let (url, token, tokenFile) = try configuration.get()
        let settings = try settings.get()
        var headers: [(name: String, value: String)] = [(name: "Accept", value: "application/json")]
        if let authorization = try authorization(token: token, tokenFile: tokenFile) {
            headers.append((name: "Authorization", value: authorization))
        }
        let exchange = HTTPExchange(method: "GET", url: url, headers: headers, body: Data())
        var attempt = 0
        while true {
            attempt += 1
            do {
                let reply = try await transport.send(exchange, timeout: settings.timeout)
                guard reply.status == 200 else {
                    if reply.status >= 500 && attempt < settings.attempts { continue }
                    throw CredentialError.invalid(Self.name, "the endpoint answered HTTP \(reply.status)")
                }
                return try TemporaryCredentialsDocument.credentials(from: reply.body, provider: Self.name)
            } catch let failure as TransportFailure {
                guard attempt < settings.attempts else {
                    throw CredentialError.invalid(Self.name, "no answer from the credentials endpoint", underlying: failure)
                }
                logger.debug("container credentials endpoint did not answer; retrying")
            }
        }
    }

    private func authorization(token: String?, tokenFile: String?) throws -> String? {
        var value = token
        if let tokenFile {
            do {
                value = try String(contentsOfFile: tokenFile, encoding: .utf8)
            } catch {
                throw CredentialError.invalid(Self.name, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile)")
            }
        }
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw CredentialError.invalid(Self.name, "the authorization token contains a line break")
        }
        return value
    }

    public var description: String {
        switch configuration {
        case .success(let value): return "\(Self.name) (\(value.url.scheme ?? "http")://\(value.url.host ?? ""))"
        case .failure(let error): return error.description
        }
    }
}
