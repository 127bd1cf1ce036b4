import Foundation

extension S3Client {
    /// [CreateMultipartUpload](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html):
    /// starts an upload and returns its id. Encryption and content type are given here, not per part.
    ///
    /// ```swift
    /// let uploadId = try await s3.createMultipartUpload(bucket: "exports", key: "big.tar.gz", serverSideEncryption: .kms())
    /// let eTag = try await s3.uploadPart(bucket: "exports", key: "big.tar.gz", uploadId: uploadId, partNumber: 1, body: part)
    /// try await s3.completeMultipartUpload(bucket: "exports", key: "big.tar.gz", uploadId: uploadId,
    ///                                      parts: [.init(partNumber: 1, eTag: eTag)])
    /// ```
    ///
    /// - Warning: An upload that is neither completed nor aborted keeps its parts, and S3 bills
    ///   them. ``upload(bucket:key:from:partSize:contentType:serverSideEncryption:concurrency:)``
    ///   aborts on every failure.
    public func createMultipartUpload(bucket: String, key: String, contentType: String? = nil,
                                      serverSideEncryption: S3.ServerSideEncryption? = nil) async throws -> String {
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append((name: "Content-Type", value: contentType)) }
        headers += serverSideEncryption?.headers ?? []
        let reply = try await send("CreateMultipartUpload", method: "POST", bucket: bucket, key: key,
                                   query: [(name: "uploads", value: "")], headers: headers)
        guard let uploadId = (try? XMLElementTree.parse(reply.body))?.child("UploadId")?.text, !uploadId.isEmpty
        else {
            throw AWSError.invalidResponse(client.service.name, "CreateMultipartUpload", "the answer has no UploadId",
                                           statusCode: reply.status, requestId: Self.requestId(reply))
        }
        return uploadId
    }

    /// [UploadPart](https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html): uploads
    /// part `partNumber` (1...10,000) and returns its entity tag.
    ///
    /// Every part but the last must be at least 5 MiB (``S3/minimumPartSize``); S3 checks this
    /// when the upload is completed.
    public func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, body: Data) async throws -> String {
        precondition((1...S3.maximumPartCount).contains(partNumber), "S3 part numbers run from 1 to 10,000")
        let reply = try await send("UploadPart", method: "PUT", bucket: bucket, key: key,
                                   query: [(name: "partNumber", value: String(partNumber)), (name: "uploadId", value: uploadId)],
                                   body: body)
        guard let eTag = reply.header("ETag"), !eTag.isEmpty else {
            throw AWSError.invalidResponse(client.service.name, "UploadPart", "the answer has no ETag",
                                           statusCode: reply.status, requestId: Self.requestId(reply))
        }
        return eTag
    }

    /// [CompleteMultipartUpload](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html):
    /// assembles the object from `parts` (in part-number order).
    ///
    /// S3 may answer `200 OK` with an `<Error>` document when it fails late; that is thrown as an
    /// ``AWSError`` (and retried when transient), never taken for success.
    @discardableResult
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String,
                                        parts: [S3.CompletedPart]) async throws -> S3.PutObjectOutput {
        var document = #"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            document += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(XMLElementTree.escape(part.eTag))</ETag></Part>"
        }
        document += "</CompleteMultipartUpload>"
        let body = Data(document.utf8)
        var attempt = 0
        while true {
            attempt += 1
            let reply = try await send("CompleteMultipartUpload", method: "POST", bucket: bucket, key: key,
                                       query: [(name: "uploadId", value: uploadId)],
                                       headers: [(name: "Content-Type", value: "application/xml")], body: body)
            let document = try? XMLElementTree.parse(reply.body)
            guard Self.isErrorDocument(document) else {
                var output = Self.putOutput(reply)
                output.eTag = document?.child("ETag")?.text ?? output.eTag
                return output
            }
            var error = ErrorParsing.parse(reply, service: client.service, operation: "CompleteMultipartUpload")
            error.attempts = attempt
            guard error.isTransient || error.isThrottling, attempt < client.retry.maxAttempts else { throw error }
            try await Task.sleep(for: client.retry.backoff(retry: attempt - 1))
        }
    }

    /// [AbortMultipartUpload](https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html):
    /// discards the upload and its parts.
    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws {
        _ = try await send("AbortMultipartUpload", method: "DELETE", bucket: bucket, key: key,
                           query: [(name: "uploadId", value: uploadId)])
    }

    /// [ListMultipartUploads](https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html):
    /// the uploads in progress under `prefix`, every page.
    public func listMultipartUploads(bucket: String, prefix: String? = nil) async throws -> [S3.MultipartUpload] {
        var uploads: [S3.MultipartUpload] = []
        var markers: (key: String, uploadId: String)?
        repeat {
            var query: [(name: String, value: String)] = []
            if let markers {
                query.append((name: "key-marker", value: markers.key))
            }
            if let prefix { query.append((name: "prefix", value: prefix)) }
            if let markers {
                query.append((name: "upload-id-marker", value: markers.uploadId))
            }
            query.append((name: "uploads", value: ""))
            let reply = try await send("ListMultipartUploads", method: "GET", bucket: bucket, key: nil, query: query)
            let document = try? XMLElementTree.parse(reply.body)
            for upload in document?.children ?? [] where upload.name == "Upload" {
                if let key = upload.child("Key")?.text, let uploadId = upload.child("UploadId")?.text {
                    uploads.append(S3.MultipartUpload(key: key, uploadId: uploadId))
                }
            }
            let truncated = document?.child("IsTruncated")?.text == "true"
            if truncated, let key = document?.child("NextKeyMarker")?.text,
               let uploadId = document?.child("NextUploadIdMarker")?.text, !key.isEmpty {
                markers = (key, uploadId)
            } else {
                markers = nil
            }
        } while markers != nil
        return uploads
    }

    /// Whether a 2xx answer's document is in fact an `<Error>` (S3 can answer
    /// `CompleteMultipartUpload` with 200 and an error body). Only the root decides: an
    /// `<Error>` deeper down, or escaped in a key, is data.
    static func isErrorDocument(_ document: XMLElementTree?) -> Bool {
        document?.name == "Error"
    }
}
