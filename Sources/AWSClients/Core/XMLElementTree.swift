import Foundation

/// The AWS layer's one XML reader: a minimal, safe reader of the small XML documents AWS
/// answers with (STS's Query answers, S3's REST-XML answers, XML error bodies): elements and
/// text only. No DTDs, no external entities, no attributes kept; namespace prefixes are
/// dropped; depth and size are bounded.
///
/// ```swift
/// let root = try XMLElementTree.parse(data)
/// let account = root.path("GetCallerIdentityResult", "Account")?.text
/// let code = root.first("Code")?.text  // wherever the error document puts it
/// ```
struct XMLElementTree: Sendable, Hashable {
    var name: String
    var text: String
    var children: [XMLElementTree]

    static let maxDepth = 64
    static let maxBytes = 4 << 20

    /// The first child named `name`.
    func child(_ name: String) -> XMLElementTree? {
        children.first { $0.name == name }
    }

    /// The first element named `name` below this one, in document order (depth first): for
    /// documents whose shape varies, such as error bodies (`<Error><Code>` in S3,
    /// `<ErrorResponse><Error><Code>` in STS).
    func first(_ name: String) -> XMLElementTree? {
        for child in children {
            if child.name == name { return child }
            if let found = child.first(name) { return found }
        }
        return nil
    }

    /// The element reached by following `names` from here, one child at a time.
    func path(_ names: String...) -> XMLElementTree? {
        var element: XMLElementTree? = self
        for name in names { element = element?.child(name) }
        return element
    }

    /// The trimmed text of the descendant at `names`, `nil` when absent or empty.
    func value(_ names: String...) -> String? {
        var element: XMLElementTree? = self
        for name in names { element = element?.child(name) }
        guard let text = element?.text.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    /// `text` escaped for an element's text or a quoted attribute value, for the few documents
    /// this client writes (S3's `CreateBucketConfiguration` and `CompleteMultipartUpload`).
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ data: Data) throws -> XMLElementTree {
        guard data.count <= maxBytes else { throw ParseError(description: "the document is too large") }
        var parser = Parser(bytes: Array(data))
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }

        mutating func document() throws -> XMLElementTree {
            try skipMisc()
            guard peek(0) == UInt8(ascii: "<") else { throw error("no root element") }
            let root = try element(depth: 0)
            try skipMisc()
            guard index == bytes.count else { throw error("content after the root element") }
            return root
        }

        /// Whitespace, the XML declaration, processing instructions and comments.
        mutating func skipMisc() throws {
            while index < bytes.count {
                if isSpace(bytes[index]) {
                    index += 1
                } else if starts("<?") {
                    try skip(past: "?>")
                } else if starts("<!--") {
                    try skip(past: "-->")
                } else if starts("<!") {
                    throw error("DTDs are not accepted")
                } else {
                    return
                }
            }
        }

        mutating func element(depth: Int) throws -> XMLElementTree {
            guard depth < XMLElementTree.maxDepth else { throw error("elements nested too deep") }
            index += 1  // <
            let name = try readName()
            // Attributes are skipped, honouring quotes.
            var selfClosing = false
            while true {
                guard let byte = peek(0) else { throw error("unterminated start tag") }
                if byte == UInt8(ascii: ">") { index += 1; break }
                if byte == UInt8(ascii: "/") && peek(1) == UInt8(ascii: ">") { index += 2; selfClosing = true; break }
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    index += 1
                    while let next = peek(0), next != byte { index += 1 }
                    guard peek(0) != nil else { throw error("unterminated attribute") }
                }
                index += 1
            }
            var node = XMLElementTree(name: Self.local(name), text: "", children: [])
            if selfClosing { return node }
            var text: [UInt8] = []
            while true {
                guard let byte = peek(0) else { throw error("unterminated element \(node.name)") }
                if byte != UInt8(ascii: "<") {
                    if byte == UInt8(ascii: "&") {
                        try text.append(contentsOf: entity())
                    } else {
                        text.append(byte)
                        index += 1
                    }
                } else if starts("</") {
                    index += 2
                    let closing = try readName()
                    while let next = peek(0), isSpace(next) { index += 1 }
                    guard peek(0) == UInt8(ascii: ">"), closing == name else {
                        throw error("mismatched end tag")
                    }
                    index += 1
                    node.text = String(decoding: text, as: UTF8.self)
                    return node
                } else if starts("<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text.append(contentsOf: bytes[start..<(index - 3)])
                } else if starts("<!--") {
                    try skip(past: "-->")
                } else if starts("<?") {
                    try skip(past: "?>")
                } else if starts("<!") {
                    throw error("DTDs are not accepted")
                } else {
                    node.children.append(try element(depth: depth + 1))
                }
            }
        }

        mutating func readName() throws -> String {
            let start = index
            while let byte = peek(0), !isSpace(byte), byte != UInt8(ascii: ">"), byte != UInt8(ascii: "/") { index += 1 }
            guard index > start else { throw error("empty element name") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&#N;` `&#xN;`; anything else is an error.
        mutating func entity() throws -> [UInt8] {
            let start = index + 1
            var end = start
            while end < bytes.count, end - start < 12, bytes[end] != UInt8(ascii: ";") { end += 1 }
            guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { throw error("bad entity") }
            let name = String(decoding: bytes[start..<end], as: UTF8.self)
            index = end + 1
            switch name {
            case "lt": return [UInt8(ascii: "<")]
            case "gt": return [UInt8(ascii: ">")]
            case "amp": return [UInt8(ascii: "&")]
            case "quot": return [UInt8(ascii: "\"")]
            case "apos": return [UInt8(ascii: "'")]
            default:
                var scalar: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    scalar = UInt32(name.dropFirst(2), radix: 16)
                } else if name.hasPrefix("#") {
                    scalar = UInt32(name.dropFirst(1))
                }
                guard let scalar, let character = Unicode.Scalar(scalar) else { throw error("unknown entity") }
                return Array(String(Character(character)).utf8)
            }
        }

        mutating func skip(past terminator: String) throws {
            let pattern = Array(terminator.utf8)
            while index < bytes.count {
                if bytes[index...].starts(with: pattern) {
                    index += pattern.count
                    return
                }
                index += 1
            }
            throw error("unterminated \(terminator)")
        }

        func starts(_ prefix: String) -> Bool {
            bytes[index...].starts(with: prefix.utf8)
        }

        func peek(_ offset: Int) -> UInt8? {
            index + offset < bytes.count ? bytes[index + offset] : nil
        }

        func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }

        func error(_ text: String) -> ParseError {
            ParseError(description: "malformed XML at byte \(index): \(text)")
        }

        static func local(_ name: String) -> String {
            guard let colon = name.lastIndex(of: ":") else { return name }
            return String(name[name.index(after: colon)...])
        }
    }
}
