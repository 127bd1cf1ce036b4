#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension SigV4Signer {
    /// A presigned URL (SigV4 in the query string) and the intermediate values of the
    /// computation for tests and debugging.
    ///
    /// ```swift
    /// let presigned = signer.presign(method: "GET", url: objectURL, payload: .unsigned,
    ///                                expires: 900, date: now, options: .s3)
    /// share(presigned.url)
    /// ```
    ///
    /// Its description and mirror show the URL without its query.
    ///
    /// - Warning: ``url`` is a bearer credential until it expires, and it carries the session
    ///   token of temporary credentials: do not log it.
    ///
    /// Related AWS documentation:
    /// [Authenticating requests: using query parameters (Amazon S3)](https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html)
    public struct Presigned: Sendable, CustomStringConvertible, CustomReflectable {
        /// The URL to use: the original one, its query followed by `X-Amz-Algorithm`,
        /// `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-SignedHeaders`, `X-Amz-Expires`,
        /// `X-Amz-Security-Token` for temporary credentials, and `X-Amz-Signature`.
        public let url: URL
        /// The canonical request whose hash was signed.
        public var canonicalRequest: String { String(decoding: canonicalRequestBytes, as: UTF8.self) }
        /// Kept as bytes: only tests and debugging read it, and a `String` cost every request a copy.
        let canonicalRequestBytes: [UInt8]
        /// The string to sign: algorithm, time, credential scope and canonical request hash.
        public let stringToSign: String
        /// The signature, 64 lower-case hex digits.
        public let signature: String

        /// A description safe to log: the URL without its query.
        public var description: String {
            "SigV4Signer.Presigned(url: \(redactedURL), signature: <redacted>)"
        }

        /// A mirror without the query, for `dump(_:)` and test failure messages.
        public var customMirror: Mirror {
            Mirror(self, children: ["url": redactedURL, "signature": "<redacted>"], displayStyle: .struct)
        }

        private var redactedURL: String {
            let text = url.absoluteString
            guard let query = text.firstIndex(where: { $0 == "?" || $0 == "#" }) else { return text }
            return text[..<query] + "?<redacted>"
        }
    }
}
