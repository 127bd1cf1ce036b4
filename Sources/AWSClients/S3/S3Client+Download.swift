import Foundation

extension S3Client {
    /// Downloads an object to `fileURL` in ranged
    /// [GetObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html) requests of
    /// `partSize` bytes, after a [HeadObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
    ///
    /// ```swift
    /// let metadata = try await s3.downloadObject(bucket: "exports", key: "2024/users.tar.gz", to: localURL)
    /// ```
    ///
    /// Memory stays near `partSize`, whatever the object's size. Every range asks for the entity
    /// tag the `HEAD` saw (`If-Match`), so an object replaced mid-download fails with
    /// `PreconditionFailed` instead of yielding a mix of two versions. The bytes go to a temporary
    /// file beside `fileURL` (mode 0600), moved into place only when complete: a failed download
    /// leaves nothing at `fileURL`, and an existing file there is replaced only on success.
    ///
    /// - Returns: the object's metadata, as the `HEAD` saw it.
    /// - Precondition: `partSize` is at least 1 MiB.
    @discardableResult
    public func downloadObject(bucket: String, key: String, to fileURL: URL,
                               partSize: Int = S3.defaultPartSize) async throws -> S3.ObjectMetadata {
        precondition(partSize >= 1 << 20, "download parts are at least 1 MiB")
        let metadata = try await headObject(bucket: bucket, key: key)
        let directory = fileURL.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(fileURL.lastPathComponent).\(UUID().uuidString).part")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600])
        else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        do {
            let file = try FileHandle(forWritingTo: temporary)
            do {
                var offset = 0
                while offset < metadata.contentLength {
                    let end = min(offset + partSize, metadata.contentLength) - 1
                    let bytes = try await getObject(bucket: bucket, key: key, range: offset...end, ifMatch: metadata.eTag)
                    try file.write(contentsOf: bytes)
                    offset = end + 1
                }
                try file.synchronize()
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
            // rename(2): atomic, and replaces an existing file.
            guard rename(temporary.path, fileURL.path) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        return metadata
    }
}
