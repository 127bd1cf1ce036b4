import Foundation

extension S3Client {
    /// Uploads a file, streaming it in parts: a single
    /// [PutObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html) when it fits
    /// in one part, else a [multipart upload](https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html)
    /// of `partSize` parts, `concurrency` of them in flight.
    ///
    /// ```swift
    /// try await s3.upload(bucket: "exports", key: "2024/users.tar.gz", from: archiveURL, serverSideEncryption: .kms())
    /// ```
    ///
    /// Memory stays near `concurrency × partSize`, whatever the file's size. The part size grows
    /// when the file would need more than 10,000 parts.
    ///
    /// - Warning: On any failure (including cancellation) the multipart upload is aborted, so no
    ///   orphan parts are left to bill; the error is rethrown.
    /// - Precondition: `partSize` is at least 5 MiB (``S3/minimumPartSize``), `concurrency` at least 1.
    @discardableResult
    public func upload(bucket: String, key: String, from fileURL: URL, partSize: Int = S3.defaultPartSize,
                       contentType: String? = nil, serverSideEncryption: S3.ServerSideEncryption? = nil,
                       concurrency: Int = 4) async throws -> S3.UploadResult {
        let file = try FileHandle(forReadingFrom: fileURL)
        defer { try? file.close() }
        var size = partSize
        if let fileSize = try? FileManager.default.attributesOfItem(atPath: fileURL.path)[.size] as? Int {
            // Round up so that the file fits in 10,000 parts.
            size = max(partSize, (fileSize + S3.maximumPartCount - 1) / S3.maximumPartCount)
        }
        var reader = FilePartReader(file: file, partSize: size)
        return try await upload(bucket: bucket, key: key, partSize: size, contentType: contentType,
                                serverSideEncryption: serverSideEncryption, concurrency: concurrency) {
            try reader.next()
        }
    }

    /// Uploads what `chunks` yields, re-cut into `partSize` parts: a single `PutObject` when it
    /// all fits in one part, else a multipart upload.
    ///
    /// ```swift
    /// try await s3.upload(bucket: "exports", key: "report.json", from: encoder.chunks())
    /// ```
    ///
    /// - Warning: On any failure, including an error thrown by `chunks` itself, the multipart
    ///   upload is aborted and the error rethrown.
    /// - Precondition: `partSize` is at least 5 MiB (``S3/minimumPartSize``), `concurrency` at least 1.
    @discardableResult
    public func upload<Chunks: AsyncSequence>(
        bucket: String, key: String, from chunks: Chunks, partSize: Int = S3.defaultPartSize,
        contentType: String? = nil, serverSideEncryption: S3.ServerSideEncryption? = nil, concurrency: Int = 4
    ) async throws -> S3.UploadResult where Chunks.Element == Data {
        var parts = PartCutter(chunks: chunks.makeAsyncIterator(), partSize: partSize)
        return try await upload(bucket: bucket, key: key, partSize: partSize, contentType: contentType,
                                serverSideEncryption: serverSideEncryption, concurrency: concurrency) {
            try await parts.next()
        }
    }

    /// The common path: `nextPart` returns full parts, then a shorter last one, then `nil`.
    private func upload(bucket: String, key: String, partSize: Int, contentType: String?,
                        serverSideEncryption: S3.ServerSideEncryption?, concurrency: Int,
                        nextPart: () async throws -> Data?) async throws -> S3.UploadResult {
        precondition(partSize >= S3.minimumPartSize && partSize <= S3.maximumPartSize,
                     "S3 parts are 5 MiB to 5 GiB")
        precondition(concurrency >= 1, "concurrency must be at least 1")
        let first = try await nextPart() ?? Data()
        if first.count < partSize {
            let output = try await putObject(bucket: bucket, key: key, body: first, contentType: contentType,
                                             serverSideEncryption: serverSideEncryption)
            return S3.UploadResult(eTag: output.eTag, size: first.count, partCount: 0)
        }
        let uploadId = try await createMultipartUpload(bucket: bucket, key: key, contentType: contentType,
                                                       serverSideEncryption: serverSideEncryption)
        do {
            let (parts, size) = try await withThrowingTaskGroup(of: S3.CompletedPart.self) { group in
                var completed: [S3.CompletedPart] = []
                var partNumber = 0
                var size = 0
                var pending: Data? = first
                while let body = pending {
                    partNumber += 1
                    guard partNumber <= S3.maximumPartCount else {
                        throw AWSError.invalidResponse(client.service.name, "UploadPart",
                                                       "more than 10,000 parts: use a larger part size")
                    }
                    if partNumber > concurrency, let done = try await group.next() {
                        completed.append(done)
                    }
                    let number = partNumber
                    size += body.count
                    group.addTask {
                        let eTag = try await uploadPart(bucket: bucket, key: key, uploadId: uploadId,
                                                        partNumber: number, body: body)
                        return S3.CompletedPart(partNumber: number, eTag: eTag)
                    }
                    pending = try await nextPart()
                }
                for try await done in group { completed.append(done) }
                return (completed, size)
            }
            let output = try await completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: parts)
            return S3.UploadResult(eTag: output.eTag, size: size, partCount: parts.count)
        } catch {
            await abandon(bucket: bucket, key: key, uploadId: uploadId)
            throw error
        }
    }

    /// Aborts a failed upload, even when the failure was the task's cancellation.
    private func abandon(bucket: String, key: String, uploadId: String) async {
        // An unstructured task does not inherit the caller's cancellation, so the abort is sent
        // even when the upload failed because it was cancelled; it is awaited, never left behind.
        let abort = Task {
            try await abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId)
        }
        do {
            try await abort.value
        } catch {
            client.logger.warning("could not abort a failed multipart upload; S3 keeps its parts until a lifecycle rule removes them", metadata: [
                "bucket": "\(bucket)", "key": "\(key)", "uploadId": "\(uploadId)", "error": "\(error)",
            ])
        }
    }
}

/// Reads a file in parts of `partSize` bytes (the last one shorter).
struct FilePartReader {
    let file: FileHandle
    let partSize: Int

    mutating func next() throws -> Data? {
        var part = Data()
        while part.count < partSize {
            guard let chunk = try file.read(upToCount: partSize - part.count), !chunk.isEmpty else { break }
            part.append(chunk)
        }
        return part.isEmpty ? nil : part
    }
}

/// Re-cuts a sequence of chunks of any size into parts of `partSize` bytes (the last one shorter).
struct PartCutter<Chunks: AsyncIteratorProtocol> where Chunks.Element == Data {
    var chunks: Chunks
    let partSize: Int
    var buffer = Data()
    var finished = false

    init(chunks: Chunks, partSize: Int) {
        self.chunks = chunks
        self.partSize = partSize
    }

    mutating func next() async throws -> Data? {
        while !finished && buffer.count < partSize {
            if let chunk = try await chunks.next() {
                buffer.append(chunk)
            } else {
                finished = true
            }
        }
        guard !buffer.isEmpty else { return nil }
        let part = Data(buffer.prefix(partSize))
        buffer = Data(buffer.dropFirst(part.count))
        return part
    }
}
