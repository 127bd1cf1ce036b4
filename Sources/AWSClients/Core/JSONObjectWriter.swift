import Foundation

/// Writes one flat JSON object member by member: the request bodies sent on every request of a
/// job (a ReEncrypt per audited user), without `JSONEncoder`'s boxing of every value, which was
/// the largest remaining cost of building such a request in the client's profile.
struct JSONObjectWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    init() {
        bytes.reserveCapacity(512)
    }

    /// A string member; none when `value` is nil.
    mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    /// A blob member, base64 as the AWS JSON protocols send blobs.
    mutating func member(_ name: StaticString, base64 value: Data) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: value.base64EncodedData())
        bytes.append(UInt8(ascii: "\""))
    }

    /// A map of strings (an encryption context); none when `value` is nil or empty.
    mutating func member(_ name: StaticString, _ value: [String: String]?) {
        guard let value, !value.isEmpty else { return }
        key(name)
        bytes.append(UInt8(ascii: "{"))
        for (index, (entry, text)) in value.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(entry)
            bytes.append(UInt8(ascii: ":"))
            string(text)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// The document.
    consuming func finished() -> Data {
        bytes.append(UInt8(ascii: "}"))
        return Data(bytes)
    }

    private mutating func key(_ name: StaticString) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`, the rest as UTF-8.
    private mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Key ids, ARNs and user ids need no escape: copied in one go.
        var plain = text
        let copied = plain.withUTF8 { utf8 in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
