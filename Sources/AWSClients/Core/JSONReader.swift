import Foundation

/// A forward-only reader of one JSON document, for the answers decoded on every request of a job
/// (a Scan page of 1,000 items, a ReEncrypt per user): the values go straight into the shapes,
/// without `JSONDecoder`'s intermediate map, coding paths and dynamic dispatch, which were the
/// largest single cost of a Scan page in the client's profile.
///
/// Strict as RFC 8259 asks: strings must be valid UTF-8 and correctly escaped, numbers well
/// formed, nothing but white space may follow the document, and arrays and objects nest at most
/// ``maxDepth`` deep (as `JSONDecoder`: an answer of a million `[` must not exhaust the stack).
struct JSONReader {
    /// The deepest nesting of arrays and objects read: `JSONDecoder`'s limit. DynamoDB nests at most 32.
    static let maxDepth = 512

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    /// Why a document could not be read: what was expected, and where.
    struct Failure: Error, CustomStringConvertible {
        var offset: Int
        var expected: String
        var description: String { "invalid JSON at byte \(offset): expected \(expected)" }
    }

    init(_ data: Data) {
        bytes = Array(data)
    }

    /// Reads a whole document with `read`, then checks that nothing follows it.
    static func read<Value>(_ data: Data, _ read: (inout JSONReader) throws -> Value) throws -> Value {
        var reader = JSONReader(data)
        let value = try read(&reader)
        reader.skipWhiteSpace()
        guard reader.index == reader.bytes.count else { throw reader.failure("the end of the document") }
        return value
    }

    // MARK: Structure

    /// Reads an object: `field` is called with each member's name, the reader at its value,
    /// which it must read (or ``skip()``).
    mutating func object(_ field: (inout JSONReader, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        try enter()
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            let name = try string()
            try expect(UInt8(ascii: ":"))
            try field(&self, name)
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: throw failure("',' or '}'", at: index - 1)
            }
        }
    }

    /// Reads an array: `element` is called with the reader at each element, which it must read.
    mutating func array(_ element: (inout JSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        try enter()
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return
            default: throw failure("',' or ']'", at: index - 1)
            }
        }
    }

    /// Whether the next value is `null`, which it then reads.
    mutating func null() throws -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// Reads and ignores any value.
    mutating func skip() throws {
        switch try peek() {
        case UInt8(ascii: "{"): try object { reader, _ in try reader.skip() }
        case UInt8(ascii: "["): try array { try $0.skip() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try numberText()
        }
    }

    // MARK: Scalars

    mutating func bool() throws -> Bool {
        if try peek() == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    mutating func int() throws -> Int {
        let start = index
        guard let value = Int(try numberText()) else { throw failure("an integer", at: start) }
        return value
    }

    mutating func double() throws -> Double {
        let start = index
        guard let value = Double(try numberText()) else { throw failure("a number", at: start) }
        return value
    }

    /// Reads a string, decoding its escapes.
    mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // The common case: no escape, so the text is the bytes between the quotes.
        var union: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                return try text(start..<index, isASCII: union < 0x80)
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("no control character in a string") }
            union |= byte
            index += 1
        }
        var decoded = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: decoded, as: UTF8.self) else {
                    throw failure("a string of valid UTF-8", at: start)
                }
                return string
            case UInt8(ascii: "\\"):
                try unescape(into: &decoded)
            case ..<0x20:
                throw failure("no control character in a string", at: index - 1)
            default:
                decoded.append(byte)
            }
        }
        throw failure("the end of a string")
    }

    // MARK: Internals

    /// One level deeper into an array or object, within ``maxDepth``.
    private mutating func enter() throws {
        guard depth < Self.maxDepth else { throw failure("at most \(Self.maxDepth) nested arrays and objects", at: index - 1) }
        depth += 1
    }

    /// The text of `range`. ASCII needs no validation (and `String(validating:as:)` is not
    /// specialised: its generic metadata look-ups were 2% of the audit's CPU).
    private func text(_ range: Range<Int>, isASCII: Bool) throws -> String {
        let text = bytes.withUnsafeBufferPointer { buffer in
            let slice = UnsafeBufferPointer(rebasing: buffer[range])
            return isASCII ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
        }
        guard let string = text else {
            throw failure("a string of valid UTF-8", at: range.lowerBound)
        }
        return string
    }

    private mutating func unescape(into decoded: inout [UInt8]) throws {
        guard index < bytes.count else { throw failure("an escape") }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try hex4())
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw failure("a low surrogate") }
                index += 2
                let low = UInt32(try hex4())
                guard (0xDC00..<0xE000).contains(low) else { throw failure("a low surrogate", at: index - 4) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw failure("a Unicode scalar", at: index - 4) }
            decoded.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw failure("a valid escape", at: index - 1)
        }
    }

    private mutating func hex4() throws -> UInt16 {
        guard index + 4 <= bytes.count else { throw failure("four hex digits") }
        var value: UInt16 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("four hex digits")
            }
            value = value << 4 | UInt16(digit)
        }
        index += 4
        return value
    }

    /// The text of a number, checked against JSON's grammar.
    private mutating func numberText() throws -> Substring {
        skipWhiteSpace()
        let start = index
        func digits() -> Int {
            let first = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - first
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integer = index
        guard digits() > 0, bytes[integer] != UInt8(ascii: "0") || index == integer + 1 else {
            throw failure("a number", at: start)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("a digit after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("an exponent") }
        }
        return Substring(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func literal(_ word: StaticString) throws {
        skipWhiteSpace()
        let count = word.utf8CodeUnitCount
        let matches = index + count <= bytes.count && word.withUTF8Buffer { $0.elementsEqual(bytes[index..<index + count]) }
        guard matches else { throw failure("\(word)") }
        index += count
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try next() == byte else { throw failure("'\(Character(Unicode.Scalar(byte)))'", at: index - 1) }
    }

    /// The next byte that is not white space, consumed.
    private mutating func next() throws -> UInt8 {
        let byte = try peek()
        index += 1
        return byte
    }

    /// The next byte that is not white space, not consumed.
    private mutating func peek() throws -> UInt8 {
        skipWhiteSpace()
        guard index < bytes.count else { throw failure("more of the document") }
        return bytes[index]
    }

    private mutating func skipWhiteSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func failure(_ expected: String, at offset: Int? = nil) -> Failure {
        Failure(offset: offset ?? index, expected: expected)
    }
}

/// A shape read with ``JSONReader`` (the answers on a job's hot path).
protocol JSONReadable {
    init(reading json: inout JSONReader) throws
}
