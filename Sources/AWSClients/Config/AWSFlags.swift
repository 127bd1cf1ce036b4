/// The AWS settings given on the command line; each beats its environment variable.
///
/// ```swift
/// let flags = AWSFlags(region: "eu-west-1", profile: "audit", endpointURL: "http://127.0.0.1:5000")
/// let configuration = try AWSConfiguration.resolve(flags: flags, environment: environment)
/// ```
///
/// Its description never shows the secret access key or the session token.
public struct AWSFlags: Sendable, Hashable, CustomStringConvertible {
    /// `--region`
    public var region: String?
    /// `--profile`: as in the AWS CLI, it takes the environment's keys out of the credential chain.
    public var profile: String?
    /// `--endpoint-url`, for every service.
    public var endpointURL: String?
    /// Explicit credentials; both or neither.
    public var accessKeyId: String?
    public var secretAccessKey: String?
    public var sessionToken: String?

    public init(region: String? = nil, profile: String? = nil, endpointURL: String? = nil, accessKeyId: String? = nil,
                secretAccessKey: String? = nil, sessionToken: String? = nil) {
        self.region = region
        self.profile = profile
        self.endpointURL = endpointURL
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        var parts: [String] = []
        if let region { parts.append("region: \(region)") }
        if let profile { parts.append("profile: \(profile)") }
        if let endpointURL { parts.append("endpointURL: \(endpointURL)") }
        if let accessKeyId { parts.append("accessKeyId: \(accessKeyId)") }
        if secretAccessKey != nil { parts.append("secretAccessKey: <redacted>") }
        if sessionToken != nil { parts.append("sessionToken: <redacted>") }
        return "AWSFlags(\(parts.joined(separator: ", ")))"
    }
}

extension AWSFlags: CustomReflectable {
    /// Redacted, so that `dump` and test failure messages cannot reveal the secrets.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "region": region as Any, "profile": profile as Any, "endpointURL": endpointURL as Any,
            "accessKeyId": accessKeyId as Any,
            "secretAccessKey": secretAccessKey == nil ? "nil" : "<redacted>",
            "sessionToken": sessionToken == nil ? "nil" : "<redacted>",
        ], displayStyle: .struct)
    }
}
