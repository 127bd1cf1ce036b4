/// Percent-encoding as SigV4 defines it ("UriEncode" in the AWS documentation): every byte but
/// the RFC 3986 unreserved characters `A-Z a-z 0-9 - . _ ~` becomes `%XY`, with upper-case hex
/// digits. Spaces become `%20`, never `+`.
///
/// The AWS layer's one encoder: SigV4 canonical requests, S3 paths and query values, and the
/// Query protocol's form bodies (STS) all encode with it, so what is sent is what is signed.
///
/// ```swift
/// URIEncoding.encode("reports/2024 Q1/résumé.json", keepingSlash: true)  // "reports/2024%20Q1/r%C3%A9sum%C3%A9.json"
/// URIEncoding.encode("arn:aws:iam::123456789012:role/a b")  // "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fa%20b"
/// ```
///
/// Everything works on UTF-8 bytes, appending to one output buffer, so canonicalising a request
/// does not build intermediate strings.
public enum URIEncoding {
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

    /// Appends `bytes`, percent-encoded, to `output`; with `keepingSlash`, `/` stays as is.
    static func encode(_ bytes: some Sequence<UInt8>, keepingSlash: Bool = false, into output: inout [UInt8]) {
        HexEncoding.uppercaseDigits.withUnsafeBufferPointer { digits in
            for byte in bytes {
                if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                    output.append(byte)
                } else {
                    output.append(UInt8(ascii: "%"))
                    output.append(digits[Int(byte >> 4)])
                    output.append(digits[Int(byte & 0x0F)])
                }
            }
        }
    }

    /// `string`, percent-encoded as UTF-8. With `keepingSlash`, `/` stays as is (an S3 key
    /// keeps its separators); otherwise it becomes `%2F` (a query or form value, a bucket name).
    public static func encode(_ string: String, keepingSlash: Bool = false) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(string.utf8.count * 3 / 2)
        encode(string.utf8, keepingSlash: keepingSlash, into: &output)
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
