import Foundation
import NIOCore

/// The bytes of an HTTP/1.1 exchange as ``HTTP1Transport`` sends and reads them (RFC 9112),
/// written and parsed in place: a request is one buffer (head and body, one write), an answer
/// is parsed straight from the connection's bytes. It replaced NIO's `HTTPRequestEncoder` and
/// `HTTPResponseDecoder` (llhttp), whose per-part messages, header storage and pipeline hops
/// were about 8% of the audit's client CPU.
enum HTTP1Codec {
    /// What a malformed answer is: the connection cannot be trusted for another request.
    struct Malformed: Error, CustomStringConvertible {
        var description: String

        init(description: String) {
            self.description = description
        }

        init(expected: String) {
            description = "a malformed HTTP/1.1 answer: expected \(expected)"
        }
    }

    /// A request's head and body in one buffer. `Content-Length` is always this function's,
    /// never the caller's.
    /// - Throws: ``UnsendableHeader`` for a header HTTP cannot carry: nothing is sent.
    static func request(method: String, target: String, headers: [(name: String, value: String)], body: Data?,
                        allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var size = method.utf8.count + target.utf8.count + 32 + (body?.count ?? 0)
        for header in headers { size += header.name.utf8.count + header.value.utf8.count + 4 }
        var buffer = allocator.buffer(capacity: size)
        buffer.writeString(method)
        buffer.writeStaticString(" ")
        buffer.writeString(target)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        for header in headers {
            // A control character (CR, LF) in a value would end the header early: refuse, never send.
            guard isFieldValue(header.value), isFieldName(header.name) else { throw UnsendableHeader(name: header.name) }
            if equalsIgnoringCase(header.name, "content-length") { continue }
            buffer.writeString(header.name)
            buffer.writeStaticString(": ")
            buffer.writeString(header.value)
            buffer.writeStaticString("\r\n")
        }
        if let body {
            buffer.writeStaticString("Content-Length: ")
            buffer.writeString(String(body.count))
            buffer.writeStaticString("\r\n\r\n")
            buffer.writeBytes(body)
        } else {
            buffer.writeStaticString("\r\n")
        }
        return buffer
    }

    /// No control character but tab (RFC 9110 field-value), scanned as raw bytes.
    static func isFieldValue(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            for byte in bytes where (byte < 0x20 && byte != 0x09) || byte == 0x7F { return false }
            return true
        }
    }

    /// A non-empty token: no space, colon, control character or non-ASCII byte.
    static func isFieldName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard !bytes.isEmpty else { return false }
            for byte in bytes where byte <= 0x20 || byte == 0x3A || byte >= 0x7F { return false }
            return true
        }
    }

    /// ASCII case-insensitive equality with a lowercase `lowercase`.
    static func equalsIgnoringCase(_ string: String, _ lowercase: StaticString) -> Bool {
        var string = string
        return string.withUTF8 { bytes in
            guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
            let expected = lowercase.utf8Start
            for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] | 0x20 { return false }
            return true
        }
    }
}

/// Reads one answer from the bytes a connection delivers, in as many pieces as they come.
///
/// Framing follows RFC 9112 section 6.3: no body for an answer to HEAD or with status 204 or
/// 304; `Transfer-Encoding: chunked`; else `Content-Length`; else the body runs until the
/// server closes. Interim (1xx) answers are skipped. What cannot be framed without doubt
/// (conflicting lengths, a coding that is not chunked last, a line folded over two) is an error,
/// and a connection whose framing needed the close, or that carried both a coding and a
/// length, is never reused.
struct HTTP1AnswerParser {
    struct Answer {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: ByteBuffer
        /// The server keeps the connection open for another request.
        var reusable: Bool
    }

    private enum Framing {
        case length(Int)
        case chunked
        case untilClose
    }

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    /// The most bytes a head (status line and headers) or a chunk's size line may take.
    static let maxHeadBytes = 64 << 10

    private let isHead: Bool
    private let maxBodyBytes: Int
    private var state = State.head
    private var status = 0
    private var headers: [(name: String, value: String)] = []
    private var reusable = true
    private var body: ByteBuffer

    init(isHead: Bool, maxBodyBytes: Int, allocator: ByteBufferAllocator) {
        self.isHead = isHead
        self.maxBodyBytes = maxBodyBytes
        body = allocator.buffer(capacity: 0)
    }

    /// Consumes what it can of `input`; the answer once it is complete (what follows it, if
    /// anything, is left in `input`).
    mutating func parse(_ input: inout ByteBuffer) throws -> Answer? {
        while true {
            switch state {
            case .head:
                guard let end = try Self.endOfHead(in: input) else { return nil }
                let framing = try readHead(input.readSlice(length: end)!)
                if (100..<200).contains(status) {
                    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
                    headers.removeAll(keepingCapacity: true)
                    reusable = true
                    continue
                }
                switch framing {
                case nil: return complete()
                case .length(let length):
                    try reserve(length)
                    if input.readableBytes < length { body.reserveCapacity(length) }
                    state = .body(remaining: length)
                case .chunked: state = .chunkSize
                case .untilClose:
                    reusable = false
                    state = .untilClose
                }
            case .body(let remaining):
                let piece = min(remaining, input.readableBytes)
                take(piece, of: &input)
                guard remaining == piece else {
                    state = .body(remaining: remaining - piece)
                    return nil
                }
                return complete()
            case .chunkSize:
                guard let line = try Self.line(in: &input) else { return nil }
                let size = try Self.chunkSize(line)
                if size == 0 {
                    state = .trailers
                } else {
                    try reserve(size)
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let piece = min(remaining, input.readableBytes)
                take(piece, of: &input)
                guard remaining == piece else {
                    state = .chunkData(remaining: remaining - piece)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard let line = try Self.line(in: &input) else { return nil }
                guard line.readableBytes == 0 else { throw HTTP1Codec.Malformed(expected: "the end of a chunk where its size says") }
                state = .chunkSize
            case .trailers:
                // Trailer fields are read and dropped: nothing this client asks for comes in one.
                guard let line = try Self.line(in: &input) else { return nil }
                if line.readableBytes == 0 { return complete() }
            case .untilClose:
                try reserve(input.readableBytes)
                take(input.readableBytes, of: &input)
                return nil
            }
        }
    }

    /// The server closed the connection: the answer, if the close was its end.
    mutating func close() -> Answer? {
        guard case .untilClose = state else { return nil }
        return complete()
    }

    // MARK: Internals

    private mutating func complete() -> Answer {
        defer { state = .head }
        return Answer(status: status, headers: headers, body: body, reusable: reusable)
    }

    private mutating func take(_ count: Int, of input: inout ByteBuffer) {
        guard count > 0 else { return }
        if body.readableBytes == 0, case .body(let remaining) = state, remaining == count {
            // The whole body in one piece: share the bytes instead of copying them.
            body = input.readSlice(length: count)!
        } else {
            var slice = input.readSlice(length: count)!
            body.writeBuffer(&slice)
        }
    }

    private mutating func reserve(_ more: Int) throws {
        guard more <= maxBodyBytes - body.readableBytes else {
            throw HTTP1Codec.Malformed(description: "an answer larger than \(maxBodyBytes) bytes")
        }
    }

    /// The offset just past the blank line that ends the head, or `nil` if it has not all come.
    private static func endOfHead(in input: ByteBuffer) throws -> Int? {
        let end = input.withUnsafeReadableBytes { bytes -> Int? in
            var index = 0
            // A line feed followed by an empty line (CR LF, or a bare LF, which RFC 9112 lets a
            // recipient accept).
            while let found = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) {
                let next = found + 1
                if next < bytes.count, bytes[next] == UInt8(ascii: "\n") { return next + 1 }
                if next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\r"), bytes[next + 1] == UInt8(ascii: "\n") { return next + 2 }
                index = next
            }
            return nil
        }
        if end == nil, input.readableBytes > maxHeadBytes {
            throw HTTP1Codec.Malformed(description: "an answer head longer than \(maxHeadBytes) bytes")
        }
        return end
    }

    /// One line, without its CR LF (or bare LF), or `nil` if it has not all come.
    private static func line(in input: inout ByteBuffer) throws -> ByteBuffer? {
        guard let found = input.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if input.readableBytes > maxHeadBytes { throw HTTP1Codec.Malformed(description: "a line longer than \(maxHeadBytes) bytes") }
            return nil
        }
        var line = input.readSlice(length: found - input.readerIndex + 1)!
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        return line
    }

    /// `chunk-size [; extensions]`: the size, in hexadecimal.
    private static func chunkSize(_ line: ByteBuffer) throws -> Int {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A") + 10)
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw HTTP1Codec.Malformed(expected: "a chunk size") }
                return size
            default: throw HTTP1Codec.Malformed(expected: "a chunk size")
            }
            digits += 1
            guard digits <= 15 else { throw HTTP1Codec.Malformed(expected: "a chunk size below 2^60") }
            size = size << 4 | digit
        }
        guard digits > 0 else { throw HTTP1Codec.Malformed(expected: "a chunk size") }
        return size
    }

    /// Reads the status line and the header fields; the body's framing, `nil` when there is no body.
    private mutating func readHead(_ head: ByteBuffer) throws -> Framing? {
        try head.withUnsafeReadableBytes { bytes in
            var lines = Lines(bytes)
            guard let statusLine = lines.next() else { throw HTTP1Codec.Malformed(expected: "a status line") }
            let isHTTP11 = try readStatusLine(statusLine)
            var contentLength: Int?
            var transferCodings: Substring?
            var connectionTokens: [Substring] = []
            headers.removeAll(keepingCapacity: true)
            headers.reserveCapacity(12)
            while let line = lines.next(), !line.isEmpty {
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                    throw HTTP1Codec.Malformed(expected: "a header field")
                }
                let nameBytes = UnsafeRawBufferPointer(rebasing: line[..<colon])
                // No white space before the colon or at the start of a line (a folded value): RFC 9112 5.1, 5.2.
                for byte in nameBytes where byte <= 0x20 || byte >= 0x7F {
                    throw HTTP1Codec.Malformed(expected: "a header field name")
                }
                var valueStart = colon + 1
                var valueEnd = line.endIndex
                while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
                while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
                let valueBytes = UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd])
                let name = String(decoding: nameBytes, as: UTF8.self)
                let value = String(decoding: valueBytes, as: UTF8.self)
                headers.append((name: name, value: value))
                switch nameBytes.count {
                case 14 where HTTP1Codec.equalsIgnoringCase(name, "content-length"):
                    let length = try Self.contentLength(valueBytes)
                    guard contentLength == nil || contentLength == length else {
                        throw HTTP1Codec.Malformed(expected: "one Content-Length")
                    }
                    contentLength = length
                case 17 where HTTP1Codec.equalsIgnoringCase(name, "transfer-encoding"):
                    // Several fields are one list (RFC 9110 5.3); only the last coding matters here.
                    transferCodings = transferCodings.map { $0 + "," + value } ?? Substring(value)
                case 10 where HTTP1Codec.equalsIgnoringCase(name, "connection"):
                    connectionTokens += value.split(separator: ",").map(\.trimmingWhiteSpace)
                default: break
                }
            }
            if connectionTokens.contains(where: { $0.lowercased() == "close" }) {
                reusable = false
            } else if !isHTTP11 {
                reusable = connectionTokens.contains { $0.lowercased() == "keep-alive" }
            }
            // This client never asks to switch protocols: what follows a 101 would not be HTTP/1.1.
            if status == 101 { throw HTTP1Codec.Malformed(expected: "an answer, not a protocol switch") }
            if (100..<200).contains(status) || status == 204 || status == 304 { return nil }
            if isHead { return nil }
            if let transferCodings, let last = transferCodings.split(separator: ",").last(where: { !$0.trimmingWhiteSpace.isEmpty }) {
                // A length beside a coding may have been meant for another hop: trust neither later.
                if contentLength != nil { reusable = false }
                return last.trimmingWhiteSpace.lowercased() == "chunked" ? .chunked : .untilClose
            }
            if let contentLength { return contentLength == 0 ? nil : .length(contentLength) }
            return .untilClose
        }
    }

    /// `Content-Length`: digits, or a list of the same number (RFC 9110 8.6).
    private static func contentLength(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        var length: Int?
        var value = 0
        var digits = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                guard digits <= 18 else { throw HTTP1Codec.Malformed(expected: "a Content-Length below 10^18") }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: ","):
                guard digits > 0, length == nil || length == value else { throw HTTP1Codec.Malformed(expected: "a Content-Length") }
                (length, value, digits) = (value, 0, 0)
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                continue
            default:
                throw HTTP1Codec.Malformed(expected: "a Content-Length")
            }
        }
        guard digits > 0, length == nil || length == value else { throw HTTP1Codec.Malformed(expected: "a Content-Length") }
        return value
    }

    /// `HTTP/1.x SSS [reason]`, `SSS` from 100 (a status below has no class); whether the version
    /// is 1.1 (or later 1.x).
    private mutating func readStatusLine(_ line: Slice<UnsafeRawBufferPointer>) throws -> Bool {
        let bytes = UnsafeRawBufferPointer(rebasing: line)
        func digit(_ index: Int) -> Int? {
            (0x30...0x39).contains(bytes[index]) ? Int(bytes[index] - 0x30) : nil
        }
        guard bytes.count >= 12, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50,  // HTTP
              bytes[4] == 0x2F, bytes[5] == 0x31, bytes[6] == 0x2E, let minor = digit(7), bytes[8] == 0x20,  // /1.x
              let hundreds = digit(9), hundreds > 0, let tens = digit(10), let units = digit(11),  // 100-999 (RFC 9110 15)
              bytes.count == 12 || bytes[12] == 0x20
        else {
            throw HTTP1Codec.Malformed(expected: "an HTTP/1.x status line")
        }
        status = hundreds * 100 + tens * 10 + units
        return minor > 0
    }

    /// The lines of a head, each without its CR LF or bare LF.
    private struct Lines {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(_ bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        mutating func next() -> Slice<UnsafeRawBufferPointer>? {
            guard index < bytes.count else { return nil }
            let end = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var line = bytes[index..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            index = end + 1
            return line
        }
    }
}

private extension Substring {
    var trimmingWhiteSpace: Substring {
        var trimmed = self
        while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        return trimmed
    }
}
