import CZlib
import Foundation

/// A streaming gunzip (zlib's `inflate` with gzip framing), pulled a piece at a time: compressed
/// bytes go in as they arrive (``feed(_:)``), and each ``pull(_:)`` inflates at most one output
/// buffer (256 KiB) of them, so neither a data file nor a whole chunk's inflated text is ever in
/// memory at once. Concatenated gzip members (RFC 1952 allows them) are read one after the other.
///
/// ```swift
/// let inflater = try GzipInflater()
/// inflater.feed(chunk)
/// while try inflater.pull({ piece in lines.split(piece) }) {}
/// try inflater.finish()   // throws when the stream ended early
/// ```
final class GzipInflater {
    /// Why the bytes are not a gzip stream, in a few words (zlib's own message when it has one).
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// zlib keeps a pointer back to its `z_stream`: it must not move, so it lives on the heap.
    private let stream: UnsafeMutablePointer<z_stream>
    private var ended = false
    private var input: UnsafeMutableBufferPointer<UInt8>?
    private let output = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 256 << 10)

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: the largest window, gzip framing only.
        guard inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw Failure(description: "zlib could not start")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input?.deallocate()
        output.deallocate()
    }

    /// Whether compressed bytes are waiting to be inflated.
    var hasInput: Bool { stream.pointee.avail_in > 0 }

    /// Hands over the next compressed bytes; the previous ones must all have been pulled. The
    /// bytes are copied into a buffer kept from one feed to the next (a fresh buffer a
    /// chunk was a fresh mapping to fault in, a chunk at a time).
    func feed(_ bytes: some DataProtocol) {
        precondition(!hasInput, "feed after the previous bytes were pulled")
        if (input?.count ?? 0) < max(1, bytes.count) {
            input?.deallocate()
            input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, bytes.count))
        }
        guard let buffer = input else { return }
        bytes.copyBytes(to: UnsafeMutableRawBufferPointer(buffer))
        stream.pointee.next_in = buffer.baseAddress
        stream.pointee.avail_in = UInt32(bytes.count)
    }

    /// Inflates up to one output buffer of what was fed, handing it to `sink` (valid only during
    /// the call). Returns whether fed bytes remain.
    func pull(_ sink: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        guard hasInput else { return false }
        if ended {
            // Another gzip member follows the one that ended.
            guard inflateReset(stream) == Z_OK else { throw Failure(description: "zlib could not restart") }
            ended = false
        }
        stream.pointee.next_out = output.baseAddress
        stream.pointee.avail_out = UInt32(output.count)
        let status = inflate(stream, Z_NO_FLUSH)
        let produced = output.count - Int(stream.pointee.avail_out)
        switch status {
        case Z_OK: break
        case Z_STREAM_END: ended = true
        case Z_BUF_ERROR where produced == 0: break
        default: throw Failure(description: message(status))
        }
        if produced > 0 { try sink(UnsafeBufferPointer(rebasing: output[0..<produced])) }
        return hasInput
    }

    /// Checks that the stream ended where its bytes did (a truncated file does not).
    func finish() throws {
        guard ended, !hasInput else { throw Failure(description: "the gzip stream ends early") }
    }

    private func message(_ status: Int32) -> String {
        if let text = stream.pointee.msg { return "not a valid gzip stream (\(String(cString: text)))" }
        return "not a valid gzip stream (zlib status \(status))"
    }
}
