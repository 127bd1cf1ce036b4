import AWSSigning
import Foundation
import Logging

/// EC2 instance role credentials from the instance metadata service, IMDSv2 only:
/// `PUT /latest/api/token` (with `X-aws-ec2-metadata-token-ttl-seconds`), then
/// `GET /latest/meta-data/iam/security-credentials/` for the role name and
/// `GET /latest/meta-data/iam/security-credentials/<role>` for the credentials, both with
/// `X-aws-ec2-metadata-token`.
///
/// - `AWS_EC2_METADATA_DISABLED=true` turns it off.
/// - `AWS_EC2_METADATA_SERVICE_ENDPOINT` replaces `http://169.254.169.254`
///   (`AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6` selects `http://[fd00:ec2::254]`).
///
/// Short timeouts (1 s, one retry): off EC2 nothing answers, and the provider then reports
/// itself not configured so that a chain can say what it tried. `AWS_METADATA_SERVICE_TIMEOUT`
/// (seconds) and `AWS_METADATA_SERVICE_NUM_ATTEMPTS` change them.
///
/// - Warning: in tests, always set `AWS_EC2_METADATA_SERVICE_ENDPOINT` to a loopback stand-in
///   or `AWS_EC2_METADATA_DISABLED=true`.
///
/// [Instance metadata](https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html)
public struct InstanceMetadataCredentialProvider: CredentialProvider, CustomStringConvertible {
    static let name = "instance metadata"
    static let tokenPath = "/latest/api/token"
    static let credentialsPath = "/latest/meta-data/iam/security-credentials/"
    static let tokenTTLSeconds = 21_600

    let endpoint: Result<String, CredentialError>
    let transport: any HTTPTransport
    let settings: Result<MetadataServiceSettings, CredentialError>

    /// - Parameters:
    ///   - timeout: per attempt; `nil`: `AWS_METADATA_SERVICE_TIMEOUT`, else 1 s.
    ///   - attempts: `nil`: `AWS_METADATA_SERVICE_NUM_ATTEMPTS`, else 2.
    public init(environment: [String: String], transport: any HTTPTransport, timeout: Duration? = nil,
                attempts: Int? = nil) {
        self.transport = transport
        settings = MetadataServiceSettings.resolve(provider: Self.name, environment: environment, timeout: timeout,
                                                   attempts: attempts, defaultTimeout: .seconds(1), defaultAttempts: 2)
        if environment.nonEmpty("AWS_EC2_METADATA_DISABLED")?.lowercased() == "true" {
            endpoint = .failure(.notConfigured(Self.name, "disabled by AWS_EC2_METADATA_DISABLED"))
        } else if let configured = environment.nonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
            var text = configured
            while text.hasSuffix("/") { text.removeLast() }
            if let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil {
                endpoint = .success(text)
            } else {
                endpoint = .failure(.invalid(Self.name, "AWS_EC2_METADATA_SERVICE_ENDPOINT is not an http(s) URL"))
            }
        } else if environment.nonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")?.lowercased() == "ipv6" {
            endpoint = .success("http://[fd00:ec2::254]")
        } else {
            endpoint = .success("http://169.254.169.254")
        }
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        let base = try endpoint.get()
        let settings = try settings.get()
        // Token: no answer or a refusal means "not on EC2 / IMDSv2 off": not configured.
        let tokenReply = try await send("PUT", base + Self.tokenPath,
                                        headers: [(name: "X-aws-ec2-metadata-token-ttl-seconds",
                                                   value: String(Self.tokenTTLSeconds))],
                                        base: base, settings: settings, unreachableIsNotConfigured: true,
                                        logger: logger)
        guard tokenReply.status == 200 else {
            throw CredentialError.notConfigured(Self.name, "token request refused (HTTP \(tokenReply.status)) at \(base)")
        }
        let token = String(decoding: tokenReply.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw CredentialError.invalid(Self.name, "the token answer is unusable")
        }
        let tokenHeader = [(name: "X-aws-ec2-metadata-token", value: token)]

        let roleReply = try await send("GET", base + Self.credentialsPath, headers: tokenHeader, base: base,
                                       settings: settings, unreachableIsNotConfigured: false, logger: logger)
        if roleReply.status == 404 {
            throw CredentialError.notConfigured(Self.name, "no instance role attached")
        }
        guard roleReply.status == 200 else {
            throw CredentialError.invalid(Self.name, "role name request answered HTTP \(roleReply.status)")
        }
        let role = String(decoding: roleReply.body, as: UTF8.self)
            .split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !role.isEmpty, role.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            throw CredentialError.invalid(Self.name, "no usable role name in the answer")
        }
        let credentialsReply = try await send("GET", base + Self.credentialsPath + role, headers: tokenHeader, base: base,
                                              settings: settings, unreachableIsNotConfigured: false, logger: logger)
        guard credentialsReply.status == 200 else {
            throw CredentialError.invalid(Self.name, "credentials request for role \(role) answered HTTP \(credentialsReply.status)")
        }
        return try TemporaryCredentialsDocument.credentials(from: credentialsReply.body, provider: Self.name)
    }

    private func send(_ method: String, _ text: String, headers: [(name: String, value: String)], base: String,
                      settings: MetadataServiceSettings, unreachableIsNotConfigured: Bool,
                      logger: Logger) async throws -> HTTPReply {
        guard let url = URL(string: text) else { throw CredentialError.invalid(Self.name, "cannot form a URL") }
        let exchange = HTTPExchange(method: method, url: url, headers: headers, body: Data())
        var attempt = 0
        while true {
            attempt += 1
            do {
                let reply = try await transport.send(exchange, timeout: settings.timeout)
                if reply.status >= 500 && attempt < settings.attempts { continue }
                return reply
            } catch let failure as TransportFailure {
                guard attempt < settings.attempts else {
                    if unreachableIsNotConfigured {
                        throw CredentialError.notConfigured(Self.name, "no answer from \(base)")
                    }
                    throw CredentialError.invalid(Self.name, "no answer from \(base)", underlying: failure)
                }
                logger.trace("instance metadata did not answer; retrying")
            }
        }
    }

    public var description: String {
        switch endpoint {
        case .success(let base): return "\(Self.name) (\(base))"
        case .failure(let error): return error.description
        }
    }
}
