@testable import AWSClients
import Foundation
import Testing

/// The export reader's hot path: `{"Item": …}` lines read with only some attributes kept and
/// only the items a filter keeps, against the full DynamoDB JSON codec.
@Suite("Projected export items")
struct ProjectedItemsTests {
    static let names = ["id", "type", "email", "credentials", "createdAt"]

    /// Every line through the full codec and through ``ProjectedItems``.
    static func both(_ lines: [String], filter: ProjectedItems.Filter?) throws -> (full: [DynamoDBItem], projected: ProjectedItems) {
        var projected = ProjectedItems(names: names, filter: filter)
        var full: [DynamoDBItem] = []
        for line in lines {
            let bytes = Array(("  " + line + "\n").utf8)  // read in place, inside a larger buffer
            let range = 2..<(bytes.count - 1)
            full.append(try JSONReader.read(bytes, range: range, ExportDataFileReader.item))
            try JSONReader.read(bytes, range: range) { json in try projected.append(reading: &json) }
        }
        return (full, projected)
    }

    static let lines = [
        // A user, attributes in another order, escapes and non-ASCII in kept strings.
        #"{"Item":{"type":{"S":"users"},"email":{"S":"J\u00f6rg \"q\"@example.com"},"id":{"S":"u1"},"credentials":{"B":"AAEC/w=="},"createdAt":{"S":"2026-01-01T00:00:00.000Z"}}}"#,
        // A guard item: dropped by the filter, its userId passed over.
        #"{"Item":{"id":{"S":"email#a@example.com"},"type":{"S":"email"},"userId":{"S":"u1"}}}"#,
        // A legacy user: no type-less shape the filter keeps; every other type passed over.
        #"{"Item":{"id":{"S":"u2"},"type":{"S":"users"},"email":{"S":"zoë@example.com"},"n":{"N":"12.5e3"},"f":{"BOOL":false},"z":{"NULL":true},"m":{"M":{"a":{"L":[{"S":"x"},{"NS":["1","2"]}]}}},"ss":{"SS":["a","b"]},"bs":{"BS":["AAE="]},"credentials":{"S":"plain"}}}"#,
        // No type at all: the filter drops it.
        #"{"Item":{"id":{"S":"u3"}}}"#,
    ]

    @Test("the kept attributes equal the full codec's, and the filter keeps what a FilterExpression would")
    func equalsFullRead() throws {
        let (full, projected) = try Self.both(Self.lines, filter: .init(name: "type", value: "users"))
        #expect(projected.scanned == 4)
        let kept = full.filter { $0["type"] == .s("users") }
        #expect(projected.count == kept.count && kept.count == 2)
        for (index, item) in kept.enumerated() {
            for (position, name) in Self.names.enumerated() {
                #expect(projected[index, position] == item[name], "item \(index) \(name)")
            }
        }
        #expect(projected[0, 2] == .s("Jörg \"q\"@example.com"))
        let (_, unfiltered) = try Self.both(Self.lines, filter: nil)
        #expect(unfiltered.count == 4 && unfiltered[3, 1] == nil && unfiltered[1, 1] == .s("email"))
        // A filter on an attribute that is not kept.
        var other = ProjectedItems(names: ["id"], filter: .init(name: "userId", value: "u1"))
        let guardLine = Array(Self.lines[1].utf8)
        try JSONReader.read(guardLine, range: 0..<guardLine.count) { json in try other.append(reading: &json) }
        #expect(other.count == 1 && other[0, 0] == .s("email#a@example.com"))
    }

    @Test("a fault in an attribute passed over is refused as the full codec refuses it",
          arguments: [
              #"{"Item":{"id":{"S":"u"},"x":{"SX":"a"}}}"#,
              #"{"Item":{"id":{"S":"u"},"x":{"S":"a","N":"1"}}}"#,
              #"{"Item":{"id":{"S":"u"},"x":{}}}"#,
              #"{"Item":{"id":{"S":"u"},"x":{"B":12}}}"#,
              #"{"Item":{"id":{"S":"u"},"x":{"M":{"y":{"L":[{"BOOL":"no"}]}}}}}"#,
              #"{"Item":{"id":{"S":"u"},"x":{"S":"a\u00"}}}"#,
              #"{"Item":{"id":{"S":"u"}},"Other":{}}"#,
              #"{"Item":{"id":{"S":"u"}}} trailing"#,
              #"{"Item":{"id":{"S":"unterminated}}}"#,
          ])
    func refused(line: String) {
        #expect(throws: JSONReader.Failure.self) { _ = try Self.both([line], filter: nil) }
        var projected = ProjectedItems(names: ["id"])
        let bytes = Array(line.utf8)
        #expect(throws: JSONReader.Failure.self) {
            try JSONReader.read(bytes, range: 0..<bytes.count) { json in try projected.append(reading: &json) }
        }
    }

    @Test("an unknown type key is named, wherever it is")
    func unknownTypeKeyNamed() {
        let line = Array(#"{"Item":{"x":{"QQ":"a"}}}"#.utf8)
        var projected = ProjectedItems(names: ["id"])
        let error = #expect(throws: JSONReader.Failure.self) {
            try JSONReader.read(line, range: 0..<line.count) { json in try projected.append(reading: &json) }
        }
        #expect(error?.expected == "an AttributeValue type key, not QQ")
    }

    @Test("the string scan, eight bytes at a time: a quote, an escape, a control byte or invalid UTF-8 at any position")
    func stringScanPositions() throws {
        for length in 0..<40 {
            for position in 0..<max(1, length) {
                var plain = Array(repeating: UInt8(ascii: "a"), count: length)
                let text = String(decoding: plain, as: UTF8.self)
                #expect(try Self.token(plain) == text)
                guard length > 0 else { continue }
                // An escaped quote and an escaped backslash: decoded.
                plain[position] = UInt8(ascii: "\\")
                #expect(try Self.token(Array(plain[..<position]) + Array(#"\""#.utf8) + Array(plain[(position + 1)...]))
                        == String(repeating: "a", count: position) + "\"" + String(repeating: "a", count: length - position - 1))
                // A control byte: refused.
                plain[position] = 0x1F
                #expect(throws: JSONReader.Failure.self) { try Self.token(plain) }
                // Two-byte UTF-8 (é) kept; a lone continuation byte refused.
                let accented = Array(plain[..<position]) + [0xC3, 0xA9] + Array(plain[(position + 1)...])
                #expect(try Self.token(accented) == String(decoding: accented, as: UTF8.self))
                plain[position] = 0xA9
                #expect(throws: JSONReader.Failure.self) { try Self.token(plain) }
            }
        }
    }

    /// `"<content>"` read with ``JSONReader/stringToken()``, as a String.
    static func token(_ content: [UInt8]) throws -> String {
        let bytes = Array("[\"".utf8) + content + Array("\"]".utf8)
        return try JSONReader.read(bytes, range: 0..<bytes.count) { json in
            var text = ""
            try json.array { json in
                switch try json.stringToken() {
                case .plain(let range): text = json.text(of: range)
                case .decoded(let decoded): text = decoded
                }
            }
            return text
        }
    }

    @Test("differential, 20,000 mutated lines: the projected read accepts what the full codec accepts (but the base64 of a B value it passes over) and keeps the same values")
    func differential() throws {
        var random = SplitMix64(seed: 26)
        let alphabet = Array(#"{}[]":,\ SNBLMx0eu"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xA9, 0xFF]
        var accepted = 0
        for round in 0..<20_000 {
            var line = Array(Self.lines[round % Self.lines.count].utf8)
            for _ in 0..<Int(random.next() % 3 + 1) {
                let at = Int(random.next() % UInt64(line.count))
                switch random.next() % 4 {
                case 0: line[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: line.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                case 2: line.remove(at: at)
                default: line.removeLast(Int(random.next() % UInt64(min(8, line.count))))
                }
                if line.isEmpty { line = [UInt8(ascii: "{")] }
            }
            // Read in place, inside a larger buffer, as the data file reader does.
            let bytes = Array("\n".utf8) + line + Array("\n{\"Item\":{}}".utf8)
            let range = 1..<(1 + line.count)
            let full = Result { try JSONReader.read(bytes, range: range, ExportDataFileReader.item) }
            var projected = ProjectedItems(names: Self.names)
            let read = Result { try JSONReader.read(bytes, range: range) { json in try projected.append(reading: &json) } }
            switch (full, read) {
            case (.success(let item), .success):
                accepted += 1
                #expect(projected.count == 1)
                for (position, name) in Self.names.enumerated() where projected.count == 1 {
                    #expect(projected[0, position] == item[name], "\(String(decoding: line, as: UTF8.self)): \(name)")
                }
            case (.success, .failure(let error)):
                Issue.record("the full codec reads it, the projected read refuses it (\(error)): \(String(decoding: line, as: UTF8.self))")
            case (.failure(let error), .success):
                // Only the base64 of a value passed over is not checked.
                #expect((error as? JSONReader.Failure)?.expected == "base64 in a B value",
                        "the projected read takes what the full codec refuses (\(error)): \(String(decoding: line, as: UTF8.self))")
            case (.failure, .failure):
                break
            }
        }
        #expect(accepted > 1_000, "enough mutated lines still read to compare values: \(accepted)")
    }
}

/// A small seeded generator (SplitMix64), so a failing mutation is found again.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
