import Foundation

/// Where each service is reached, in the AWS SDKs' order: `--endpoint-url` →
/// `AWS_ENDPOINT_URL_<SERVICE>` → `AWS_ENDPOINT_URL` → the profile's `services` section →
/// the profile's `endpoint_url` → the public regional endpoint.
///
/// ```swift
/// var endpoints = AWSEndpoints()
/// endpoints.environmentServices["DYNAMODB"] = URL(string: "http://127.0.0.1:8000")!
/// endpoints.url(for: .dynamoDB, region: "eu-west-1")  // http://127.0.0.1:8000
/// endpoints.url(for: .kms, region: "eu-west-1")       // https://kms.eu-west-1.amazonaws.com
/// ```
public struct AWSEndpoints: Sendable, Hashable, CustomStringConvertible {
    /// `--endpoint-url`.
    public var override: URL?
    /// `AWS_ENDPOINT_URL_<SUFFIX>` by ``AWSService/environmentSuffix`` (`DYNAMODB`, `KMS`, `S3`, `STS`).
    public var environmentServices: [String: URL]
    /// `AWS_ENDPOINT_URL`.
    public var environment: URL?
    /// The profile's `services` section, by environment suffix.
    public var profileServices: [String: URL]
    /// The profile's `endpoint_url`.
    public var profile: URL?

    public init(override: URL? = nil, environmentServices: [String: URL] = [:], environment: URL? = nil,
                profileServices: [String: URL] = [:], profile: URL? = nil) {
        self.override = override
        self.environmentServices = environmentServices
        self.environment = environment
        self.profileServices = profileServices
        self.profile = profile
    }

    /// The endpoint of `service`.
    public func url(for service: AWSService, region: String) -> URL {
        override ?? environmentServices[service.environmentSuffix] ?? environment
            ?? profileServices[service.environmentSuffix] ?? profile ?? service.defaultEndpoint(region: region)
    }

    /// Whether `service` goes to a configured endpoint rather than the public one.
    public func isCustom(_ service: AWSService) -> Bool {
        override != nil || environmentServices[service.environmentSuffix] != nil || environment != nil
            || profileServices[service.environmentSuffix] != nil || profile != nil
    }

    public var description: String {
        var parts: [String] = []
        if let override { parts.append("flag: \(override.absoluteString)") }
        for (suffix, url) in environmentServices.sorted(by: { $0.key < $1.key }) {
            parts.append("AWS_ENDPOINT_URL_\(suffix): \(url.absoluteString)")
        }
        if let environment { parts.append("AWS_ENDPOINT_URL: \(environment.absoluteString)") }
        for (suffix, url) in profileServices.sorted(by: { $0.key < $1.key }) {
            parts.append("profile services \(suffix.lowercased()): \(url.absoluteString)")
        }
        if let profile { parts.append("profile endpoint_url: \(profile.absoluteString)") }
        return parts.isEmpty ? "public endpoints" : parts.joined(separator: ", ")
    }
}
