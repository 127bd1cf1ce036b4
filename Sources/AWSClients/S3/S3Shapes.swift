import Foundation

/// Values of the S3 REST-XML API as this project uses them.
///
/// See the [Amazon S3 API reference](https://docs.aws.amazon.com/AmazonS3/latest/API/Welcome.html).
public enum S3 {
    /// The part size of ``S3Client/upload(bucket:key:from:partSize:contentType:serverSideEncryption:concurrency:)``
    /// and ``S3Client/downloadObject(bucket:key:to:partSize:)`` when none is given: 8 MiB.
    public static let defaultPartSize = 8 << 20
    /// S3's smallest part (every part but the last): 5 MiB.
    public static let minimumPartSize = 5 << 20
    /// S3's largest part: 5 GiB.
    public static let maximumPartSize = 5 << 30
    /// S3's most parts in one multipart upload.
    public static let maximumPartCount = 10_000

    /// Server-side encryption requested for a new object
    /// ([`x-amz-server-side-encryption`](https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html)).
    ///
    /// ```swift
    /// try await s3.putObject(bucket: "exports", key: "a.tar.gz", body: data, serverSideEncryption: .kms())
    /// ```
    public enum ServerSideEncryption: Sendable, Hashable {
        /// SSE-S3: keys managed by S3 (`AES256`).
        case aes256
        /// SSE-KMS: a KMS key; `nil` for the account's `aws/s3` key.
        case kms(keyId: String? = nil)

        /// The request headers that ask for this encryption.
        var headers: [(name: String, value: String)] {
            switch self {
            case .aes256:
                return [(name: "x-amz-server-side-encryption", value: "AES256")]
            case .kms(let keyId):
                var headers = [(name: "x-amz-server-side-encryption", value: "aws:kms")]
                if let keyId { headers.append((name: "x-amz-server-side-encryption-aws-kms-key-id", value: keyId)) }
                return headers
            }
        }

        /// From the `x-amz-server-side-encryption` (and key id) response headers.
        init?(header: String?, keyId: String?) {
            switch header {
            case "AES256": self = .aes256
            case "aws:kms", "aws:kms:dsse": self = .kms(keyId: keyId)
            default: return nil
            }
        }
    }

    /// What a `HEAD` (or a `GET`) says about an object.
    public struct ObjectMetadata: Sendable, Hashable {
        /// The object's size in bytes.
        public var contentLength: Int
        /// The entity tag, quotes included, e.g. `"9b2cf535f27731c974343645a3985328"`.
        public var eTag: String?
        public var contentType: String?
        public var lastModified: Date?
        /// How S3 says the object is encrypted at rest.
        public var serverSideEncryption: ServerSideEncryption?
        public var versionId: String?
        /// User metadata (`x-amz-meta-*`), names lowercased and without the prefix.
        public var metadata: [String: String]

        init(reply: HTTPReply) {
            contentLength = reply.header("Content-Length").flatMap { Int($0) } ?? reply.body.count
            eTag = reply.header("ETag")
            contentType = reply.header("Content-Type")
            lastModified = reply.header("Last-Modified").flatMap(HTTPDate.parse)
            serverSideEncryption = ServerSideEncryption(
                header: reply.header("x-amz-server-side-encryption"),
                keyId: reply.header("x-amz-server-side-encryption-aws-kms-key-id"))
            versionId = reply.header("x-amz-version-id")
            var metadata: [String: String] = [:]
            for header in reply.headers where header.name.lowercased().hasPrefix("x-amz-meta-") {
                metadata[String(header.name.lowercased().dropFirst("x-amz-meta-".count))] = header.value
            }
            self.metadata = metadata
        }
    }

    /// What a `PutObject` or a completed multipart upload answers.
    public struct PutObjectOutput: Sendable, Hashable {
        /// The entity tag, quotes included. For a multipart upload it is not an MD5 of the object.
        public var eTag: String?
        public var versionId: String?
        public var serverSideEncryption: ServerSideEncryption?
    }

    /// One uploaded part, as ``S3Client/completeMultipartUpload(bucket:key:uploadId:parts:)`` needs it.
    public struct CompletedPart: Sendable, Hashable {
        /// 1...10,000.
        public var partNumber: Int
        /// The part's entity tag as ``S3Client/uploadPart(bucket:key:uploadId:partNumber:body:)`` returned it.
        public var eTag: String

        public init(partNumber: Int, eTag: String) {
            self.partNumber = partNumber
            self.eTag = eTag
        }
    }

    /// A multipart upload that was started and neither completed nor aborted.
    public struct MultipartUpload: Sendable, Hashable {
        public var key: String
        public var uploadId: String

        public init(key: String, uploadId: String) {
            self.key = key
            self.uploadId = uploadId
        }
    }

    /// What ``S3Client/upload(bucket:key:from:partSize:contentType:serverSideEncryption:concurrency:)`` did.
    public struct UploadResult: Sendable, Hashable {
        /// The new object's entity tag.
        public var eTag: String?
        /// Bytes uploaded.
        public var size: Int
        /// Parts uploaded; `0` when the object was small enough for a single `PutObject`.
        public var partCount: Int
    }
}

/// RFC 7231 dates (`Last-Modified`).
enum HTTPDate {
    static func parse(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
