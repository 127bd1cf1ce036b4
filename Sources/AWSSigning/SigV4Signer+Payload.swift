#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto

extension SigV4Signer {
    /// The request body, as SigV4 accounts for it: the last line of the canonical request is
    /// the hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`).
    ///
    /// ```swift
    /// signer.signHeaders(method: "POST", url: url, headers: headers, payload: .data(body), date: now)
    /// signer.signHeaders(method: "PUT", url: url, payload: .hash(precomputedHex), date: now, options: .s3)
    /// signer.presign(method: "GET", url: objectURL, payload: .unsigned, expires: 900, date: now, options: .s3)
    /// ```
    ///
    /// Related AWS documentation:
    /// [Create a canonical request](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-canonical-request),
    /// [Authenticating requests: using query parameters (Amazon S3)](https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html)
    public enum Payload: Sendable, Hashable {
        /// The body bytes; the signer hashes them.
        case data(Data)
        /// The lower-case hex SHA-256 of the body, computed beforehand (a large or streamed body).
        case hash(String)
        /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (S3 only; the usual
        /// choice for presigned S3 URLs).
        case unsigned

        /// An empty body.
        public static var empty: Payload {
            .hash(emptySHA256)
        }

        /// The hex SHA-256 of an empty body.
        static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

        /// The value of the canonical request's last line.
        var hashedValue: String {
            switch self {
            case .data(let data):
                if data.isEmpty {
                    return Self.emptySHA256
                }
                return SHA256.hash(data: data).withUnsafeBytes(HexEncoding.string)
            case .hash(let hash):
                return hash
            case .unsigned:
                return "UNSIGNED-PAYLOAD"
            }
        }
    }
}
