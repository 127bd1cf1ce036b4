/// Percent-encoding as SigV4 defines it ("UriEncode" in the AWS documentation): every byte but
/// the RFC 3986 unreserved characters `A-Z a-z 0-9 - . _ ~` becomes `%XY`, with upper-case hex
/// digits. Spaces become `%20`, never `+`.
///
/// Everything works on UTF-8 bytes, appending to one output buffer, so canonicalising a request
/// does not build intermediate strings.
enum URIEncoding {
    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Appends `bytes`, percent-encoded, to `output`.
    static func encode(_ bytes: some Sequence<UInt8>, into output: inout [UInt8]) {
        HexEncoding.uppercaseDigits.withUnsafeBufferPointer { digits in
            for byte in bytes {
                if isUnreserved(byte) {
                    output.append(byte)
                } else {
                    output.append(UInt8(ascii: "%"))
                    output.append(digits[Int(byte >> 4)])
                    output.append(digits[Int(byte & 0x0F)])
                }
            }
        }
    }

    /// `string`, percent-encoded.
    static func encode(_ string: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(string.utf8.count * 3 / 2)
        encode(string.utf8, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends `bytes` to `output` after decoding its `%XY` escapes and percent-encoding the
    /// result: the one canonical encoding of a component whatever encoding it arrived in.
    ///
    /// A `%` that is not followed by two hex digits is taken literally (and so becomes `%25`);
    /// `+` is a plus sign, not a space (RFC 3986, as AWS reads query strings).
    static func reencode<C: Collection<UInt8>>(_ bytes: C, into output: inout [UInt8]) {
        HexEncoding.uppercaseDigits.withUnsafeBufferPointer { digits in
            var index = bytes.startIndex
            while index != bytes.endIndex {
                var byte = bytes[index]
                bytes.formIndex(after: &index)
                if byte == UInt8(ascii: "%") {
                    var lookahead = index
                    if lookahead != bytes.endIndex, let high = hexValue(bytes[lookahead]) {
                        bytes.formIndex(after: &lookahead)
                        if lookahead != bytes.endIndex, let low = hexValue(bytes[lookahead]) {
                            byte = high << 4 | low
                            index = bytes.index(after: lookahead)
                        }
                    }
                }
                if isUnreserved(byte) {
                    output.append(byte)
                } else {
                    output.append(UInt8(ascii: "%"))
                    output.append(digits[Int(byte >> 4)])
                    output.append(digits[Int(byte & 0x0F)])
                }
            }
        }
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte &- UInt8(ascii: "A") &+ 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- UInt8(ascii: "a") &+ 10
        default: return nil
        }
    }
}
