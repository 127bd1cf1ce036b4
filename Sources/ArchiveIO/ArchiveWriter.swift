import CArchive
import Crypto
import Foundation

/// The archive formats an export can be written in.
public enum ArchiveFormat: String, CaseIterable, Sendable {
    /// POSIX (pax) tar, gzip-compressed.
    case tarGz = "tar.gz"
    /// POSIX (pax) tar, zstd-compressed.
    case tarZst = "tar.zst"
    /// ZIP, each entry deflated.
    case zip
}

/// A failure of libarchive or of the file under it, in one line.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Writes an archive, entry by entry, through libarchive, straight to a file descriptor: each
/// entry is compressed as it is added, so memory stays at one entry plus libarchive's buffers.
/// The SHA-256 of the bytes written is computed on the way out (``finish()`` returns it).
///
/// ```swift
/// let writer = try ArchiveWriter(creating: "/exports/.users.tar.zst.partial", format: .tarZst)
/// try writer.add(path: "users/part-0-0-0.json", contents: document)
/// let (digest, bytes) = try writer.finish()
/// ```
///
/// The file is created exclusively (`O_EXCL`), mode 0600. Not thread-safe: one owner at a time.
public final class ArchiveWriter {
    private let archive: OpaquePointer
    private let output: Output
    private var finished = false
    private let modified: time_t
    /// `AE_IFREG` (a cast macro, which Swift does not import).
    static let regularFile: UInt32 = 0o100000

    /// Creates `path` (it must not exist) and opens an archive of `format` on it.
    public init(creating path: String, format: ArchiveFormat, modified: Date = Date()) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ArchiveError("cannot create \(path): \(String(cString: strerror(errno)))") }
        output = Output(fd: fd)
        guard let archive = archive_write_new() else {
            close(fd)
            throw ArchiveError("libarchive could not allocate a writer")
        }
        self.archive = archive
        self.modified = time_t(modified.timeIntervalSince1970)
        do {
            switch format {
            case .tarGz:
                try check(archive_write_set_format_pax_restricted(archive))
                try check(archive_write_add_filter_gzip(archive))
            case .tarZst:
                try check(archive_write_set_format_pax_restricted(archive))
                try check(archive_write_add_filter_zstd(archive))
            case .zip:
                try check(archive_write_set_format_zip(archive))
            }
            // No padding of the last block beyond what the format needs.
            try check(archive_write_set_bytes_in_last_block(archive, 1))
            let context = Unmanaged.passUnretained(output).toOpaque()
            try check(archive_write_open2(archive, context, nil, { _, context, buffer, length in
                guard let context, let buffer else { return -1 }
                let output = Unmanaged<Output>.fromOpaque(context).takeUnretainedValue()
                return output.write(UnsafeRawBufferPointer(start: buffer, count: length))
            }, nil, nil))
        } catch {
            archive_write_free(archive)
            close(fd)
            throw error
        }
    }

    deinit {
        archive_write_free(archive)
        if output.fd >= 0 { close(output.fd) }
    }

    /// Adds one regular file, mode 0600.
    public func add(path: String, contents: [UInt8]) throws {
        guard let entry = archive_entry_new() else { throw ArchiveError("libarchive could not allocate an entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, path)
        archive_entry_set_filetype(entry, ArchiveWriter.regularFile)
        archive_entry_set_perm(entry, 0o600)
        archive_entry_set_size(entry, la_int64_t(contents.count))
        archive_entry_set_mtime(entry, modified, 0)
        try check(archive_write_header(archive, entry))
        let written = contents.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        guard written == contents.count else { throw failure("writing \(path)") }
        try check(archive_write_finish_entry(archive))
    }

    /// Closes the archive (flushing the compressor), syncs and closes the file.
    /// - Returns: the SHA-256 and size of the file written.
    public func finish() throws -> (sha256: SHA256.Digest, bytes: Int) {
        guard !finished else { throw ArchiveError("the archive is already finished") }
        finished = true
        try check(archive_write_close(archive))
        if let error = output.error { throw ArchiveError("writing the archive: \(error)") }
        guard fsync(output.fd) == 0 else { throw ArchiveError("syncing the archive: \(String(cString: strerror(errno)))") }
        close(output.fd)
        output.fd = -1
        return (output.digest(), output.bytes)
    }

    private func check(_ status: Int32) throws {
        if status < ARCHIVE_WARN { throw failure("libarchive") }
    }

    private func failure(_ doing: String) -> ArchiveError {
        if let error = output.error { return ArchiveError("\(doing): \(error)") }
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return ArchiveError("\(doing): \(message)")
    }

    /// Where libarchive's output goes: the file, and the running SHA-256.
    final class Output {
        var fd: Int32
        var hash = SHA256()
        var bytes = 0
        var error: String?

        init(fd: Int32) { self.fd = fd }

        func write(_ buffer: UnsafeRawBufferPointer) -> Int {
            var offset = 0
            while offset < buffer.count {
                let result = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    error = String(cString: strerror(errno))
                    return -1
                }
                offset += result
            }
            hash.update(bufferPointer: buffer)
            bytes += buffer.count
            return buffer.count
        }

        func digest() -> SHA256.Digest {
            hash.finalize()
        }
    }
}
