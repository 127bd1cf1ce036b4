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
    /// Where the document starts and ends in ``bytes`` (one line of a larger buffer, read in place).
    private let base: Int
    private let end: Int
    private var index: Int
    private var depth = 0
    /// Where the name of the member the reader is at starts and ends (its quotes included).
    private var memberName = 0..<0

    /// Why a document could not be read: what was expected, and where.
    struct Failure: Error, CustomStringConvertible {
        var offset: Int
        var expected: String
        var description: String { "invalid JSON at byte \(offset): expected \(expected)" }
    }

    init(_ data: Data) {
        self.init(Array(data))
    }

    /// A reader of the document in `range` of `bytes`, which it shares rather than copies.
    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        let range = range ?? 0..<bytes.count
        (base, end, index) = (range.lowerBound, range.upperBound, range.lowerBound)
    }

    /// Reads a whole document with `read`, then checks that nothing follows it.
    static func read<Value>(_ data: Data, _ read: (inout JSONReader) throws -> Value) throws -> Value {
        var reader = JSONReader(data)
        return try reader.whole(read)
    }

    /// Reads the document in `range` of `bytes` (without copying them) with `read`, then checks
    /// that nothing follows it.
    static func read<Value>(_ bytes: [UInt8], range: Range<Int>, _ read: (inout JSONReader) throws -> Value) throws -> Value {
        var reader = JSONReader(bytes, range: range)
        return try reader.whole(read)
    }

    private mutating func whole<Value>(_ read: (inout JSONReader) throws -> Value) throws -> Value {
        let value = try read(&self)
        skipWhiteSpace()
        guard index == end else { throw failure("the end of the document") }
        return value
    }

    // MARK: Structure

    /// Reads an object: `field` is called with each member's name, the reader at its value,
    /// which it must read (or ``skip()``).
    mutating func object(_ field: (inout JSONReader, String) throws -> Void) throws {
        try members(named: { try $0.string() }, field)
    }

    /// Reads an object whose member names are looked up among `names` (each one's UTF-8 bytes):
    /// `field` is called with the position in `names` of each member's name (`nil`: another
    /// name), the reader at its value, which it must read (or ``skip()``). No name becomes a
    /// `String`: on the lines of a table export that was an allocation and a hash per attribute.
    mutating func object(matching names: [[UInt8]], _ field: (inout JSONReader, Int?) throws -> Void) throws {
        var members = try beginObject()
        while let name = try member(of: &members, matching: names) {
            try field(&self, name)
        }
    }

    /// Where the reading of an object stands (``beginObject()``, ``member(of:matching:)``).
    struct ObjectMembers {
        fileprivate var first = true
    }

    /// Begins an object (its `{`); its members are then read with ``member(of:matching:)``, as
    /// ``object(matching:_:)`` does, but in the caller's own loop (no closure a member: the
    /// lines of an export are read so).
    mutating func beginObject() throws -> ObjectMembers {
        try expect(UInt8(ascii: "{"))
        try enter()
        return ObjectMembers()
    }

    /// The next member of the object begun with `members`: the position of its name in `names`
    /// (`.some(nil)`: another name), the reader then at its value, which must be read; `nil`
    /// when the object ends.
    mutating func member(of members: inout ObjectMembers, matching names: [[UInt8]]) throws -> Int?? {
        if members.first {
            members.first = false
            if try peek() == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return nil
            }
        } else {
            switch try next() {
            case UInt8(ascii: ","): break
            case UInt8(ascii: "}"):
                depth -= 1
                return nil
            default: throw failure("',' or '}'", at: index - 1)
            }
        }
        skipWhiteSpace()
        let nameStart = index
        let name = try string(matching: names)
        memberName = nameStart..<index
        try expect(UInt8(ascii: ":"))
        return .some(name)
    }

    /// An object's members: each name read by `name`, then its value by `field`.
    private mutating func members<Name>(named name: (inout JSONReader) throws -> Name,
                                        _ field: (inout JSONReader, Name) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        try enter()
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhiteSpace()
            let nameStart = index
            let member = try name(&self)
            memberName = nameStart..<index
            try expect(UInt8(ascii: ":"))
            try field(&self, member)
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: throw failure("',' or '}'", at: index - 1)
            }
        }
    }

    /// The name of the member the reader is at (for a message: it is made only here).
    var currentMemberName: String {
        var copy = JSONReader(bytes, range: memberName)
        return (try? copy.string()) ?? ""
    }

    /// A string as ``stringToken()`` reads it: where its text is, when it has no escape, else the
    /// decoded string.
    enum StringToken {
        /// The text between the quotes (checked UTF-8): ``text(of:)`` makes it when it is wanted.
        case plain(Range<Int>)
        case decoded(String)
    }

    /// Reads a string, checked as ``string()`` checks it, without making it when it has no escape.
    mutating func stringToken() throws -> StringToken {
        guard try peek() == UInt8(ascii: "\"") else { throw failure("'\"'") }
        let start = index + 1
        // The scan for the closing quote, on the buffer itself (no bounds check a byte: this loop
        // was the reader's largest cost on an export's lines).
        let (cursor, union, plain) = bytes.withUnsafeBufferPointer { buffer in
            var cursor = start
            var union: UInt8 = 0
            // Eight bytes at a time while none of them is a quote, a backslash or a control
            // character (a base64 credential is 250 of them); the loop below finds the one that is.
            if let base = buffer.baseAddress {
                let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
                var seen: UInt64 = 0
                while cursor + 8 <= end {
                    let word = UnsafeRawPointer(base + cursor).loadUnaligned(as: UInt64.self)
                    let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
                    // A byte below n: (x - n·ones) & ~x & highs (n ≤ 128): a quote or backslash is a zero byte.
                    let found = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
                    if found & highs != 0 { break }
                    seen |= word
                    cursor += 8
                }
                if seen & highs != 0 { union = 0x80 }
            }
            while cursor < end {
                let byte = buffer[cursor]
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return (cursor, union, false) }
                union |= byte
                cursor += 1
            }
            return (cursor, union, true)
        }
        // Escapes (or a control character, which string() reports): the general path.
        guard plain else { return .decoded(try string()) }
        guard cursor < end else {
            index = end
            throw failure("the end of a string")
        }
        let range = start..<cursor
        if union >= 0x80 { _ = try text(range, isASCII: false) }
        index = cursor + 1
        return .plain(range)
    }

    /// The text of a ``StringToken/plain(_:)`` string this reader read.
    func text(of range: Range<Int>) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    /// Whether a string this reader read is `utf8`'s text.
    func equals(_ token: StringToken, _ utf8: [UInt8]) -> Bool {
        switch token {
        case .decoded(let text):
            return text.utf8.elementsEqual(utf8)
        case .plain(let range):
            guard range.count == utf8.count else { return false }
            guard !range.isEmpty else { return true }
            return bytes.withUnsafeBufferPointer { buffer in
                utf8.withUnsafeBufferPointer { memcmp(buffer.baseAddress! + range.lowerBound, $0.baseAddress!, range.count) == 0 }
            }
        }
    }

    /// Reads a string, checked as ``string()`` checks it, and answers its position in `names`
    /// (each one's UTF-8 bytes), `nil` when it is none of them; the string itself is not made.
    mutating func string(matching names: [[UInt8]]) throws -> Int? {
        let token = try stringToken()
        return names.firstIndex { equals(token, $0) }
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
        case UInt8(ascii: "\""): _ = try stringToken()
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
        while index < end {
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
        while index < end {
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
        guard index < end else { throw failure("an escape") }
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
                guard index + 1 < end, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
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
        guard index + 4 <= end else { throw failure("four hex digits") }
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
            while index < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - first
        }
        if index < end, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integer = index
        guard digits() > 0, bytes[integer] != UInt8(ascii: "0") || index == integer + 1 else {
            throw failure("a number", at: start)
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("a digit after '.'") }
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("an exponent") }
        }
        return Substring(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func literal(_ word: StaticString) throws {
        skipWhiteSpace()
        let count = word.utf8CodeUnitCount
        let matches = index + count <= end && word.withUTF8Buffer { $0.elementsEqual(bytes[index..<index + count]) }
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
        guard index < end else { throw failure("more of the document") }
        return bytes[index]
    }

    private mutating func skipWhiteSpace() {
        let end = end
        index = bytes.withUnsafeBufferPointer { buffer in
            var index = index
            while index < end {
                switch buffer[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return index
                }
            }
            return index
        }
    }

    private func failure(_ expected: String, at offset: Int? = nil) -> Failure {
        Failure(offset: (offset ?? index) - base, expected: expected)
    }
}

/// A shape read with ``JSONReader`` (the answers on a job's hot path).
protocol JSONReadable {
    init(reading json: inout JSONReader) throws
}
