#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// AWS security credentials: an access key pair and, for temporary credentials, a session token.
///
/// ```swift
/// let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret)
/// print(credentials)
/// // AWSCredentials(accessKeyId: AKIDEXAMPLE, secretAccessKey: <redacted>)
/// ```
///
/// The textual representations (`description`, `debugDescription`, the mirror that `dump` and
/// test failure messages use) show the access key id only: the secret access key and the
/// session token are always redacted.
///
/// - Warning: Never interpolate ``secretAccessKey`` or ``sessionToken`` into a log message, an
///   error or a report. Pass the credentials value itself, whose description is redacted.
///
/// Related AWS documentation:
/// - [AWS security credentials](https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds.html)
/// - [Use temporary credentials with AWS resources](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_use-resources.html)
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The access key id (`AKIA...` for long-term keys, `ASIA...` for temporary ones). Not a secret.
    public let accessKeyId: String
    /// The secret access key. Redacted from every textual representation.
    public let secretAccessKey: String
    /// The session token of temporary credentials (STS, instance or container roles), if any.
    /// Redacted from every textual representation.
    public let sessionToken: String?
    /// When temporary credentials stop working, if known.
    public let expiration: Date?

    /// Creates credentials.
    ///
    /// ```swift
    /// let temporary = AWSCredentials(
    ///     accessKeyId: response.accessKeyId,
    ///     secretAccessKey: response.secretAccessKey,
    ///     sessionToken: response.sessionToken,
    ///     expiration: response.expiration)
    /// ```
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// A description safe to log: the access key id, with the secret and the token redacted.
    public var description: String {
        var text = "AWSCredentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>"
        if sessionToken != nil {
            text += ", sessionToken: <redacted>"
        }
        if let expiration {
            text += ", expiration: \(expiration)"
        }
        text += ")"
        return text
    }

    /// The same redacted text as ``description``.
    public var debugDescription: String {
        description
    }

    /// A mirror with the secret and the token redacted, so that `dump(_:)` and test failure
    /// messages cannot reveal them.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessKeyId": accessKeyId,
                "secretAccessKey": "<redacted>",
                "sessionToken": sessionToken == nil ? "nil" : "<redacted>",
                "expiration": expiration.map { "\($0)" } ?? "nil",
            ],
            displayStyle: .struct
        )
    }
}
