import UserVaultCore

/// The export's JSON:API documents, written by hand for their one known shape: a page of user
/// resources is encoded straight into bytes, with no intermediate dictionaries (Foundation's
/// encoder, not the compressor, was the bottleneck).
///
/// Only the allow-listed attributes are written, by name (``attributeNames``); there is no code
/// path from any other field of a ``StoredItem`` to the output.
public enum ExportDocument {
    /// The attributes a user resource carries, in this order; `createdAt` only when present.
    public static let attributeNames = ["firstname", "lastname", "email", "username", "createdAt"]

    /// `{"jsonapi":{"version":"1.0"},"data":[…users…],"meta":{"part":…,"count":…}}`.
    public static func encode(users: [StoredItem], part: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + users.count * 224)
        out.append(contentsOf: #"{"jsonapi":{"version":"1.0"},"data":["#.utf8)
        for (position, user) in users.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"type":"users","id":"#.utf8)
            JSONText.appendString(user.id, to: &out)
            out.append(contentsOf: #","attributes":{"#.utf8)
            var first = true
            func attribute(_ name: StaticString, _ value: String?) {
                guard let value else { return }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
                out.append(contentsOf: #"":"#.utf8)
                JSONText.appendString(value, to: &out)
            }
            attribute("firstname", user.firstname)
            attribute("lastname", user.lastname)
            attribute("email", user.email)
            attribute("username", user.username)
            attribute("createdAt", user.createdAt)
            out.append(contentsOf: "}}".utf8)
        }
        out.append(contentsOf: #"],"meta":{"part":"#.utf8)
        JSONText.appendString(part, to: &out)
        out.append(contentsOf: #","count":\#(users.count)}}"#.utf8)
        return out
    }
}

/// JSON string literals (RFC 8259): `"` and `\` escaped, control characters as `\n`, `\t`, …
/// or `\u00XX`, everything else (non-BMP characters included) as its UTF-8 bytes. A Swift
/// `String` is always valid UTF-8: bytes that were not (in a stored value) were already replaced
/// by U+FFFD when the store decoded them.
public enum JSONText {
    public static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if start < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index])) }
                start = index + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    out.append(contentsOf: "u00".utf8)
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0x0F)])
                }
            }
            if start < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
