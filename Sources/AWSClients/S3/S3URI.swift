/// Path-style S3 request paths (`/<bucket>/<key>`) and query values, percent-encoded by S3's rules.
///
/// Every byte of the UTF-8 form except the unreserved `A-Z a-z 0-9 - . _ ~` is written `%XX`
/// (upper-case hex), and in a key `/` is kept, so `reports/2024 Q1/résumé.json` becomes
/// `reports/2024%20Q1/r%C3%A9sum%C3%A9.json`. The result is signed as is: S3 paths are neither
/// normalised nor encoded twice
/// ([SigV4 canonical request](https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)).
enum S3URI {
    /// `/<bucket>` or `/<bucket>/<key>`.
    static func path(bucket: String, key: String? = nil) -> String {
        var path = "/" + encode(bucket, keepingSlash: false)
        if let key { path += "/" + encode(key, keepingSlash: true) }
        return path
    }

    static func encode(_ text: String, keepingSlash: Bool) -> String {
        var encoded = ""
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + hexDigits[Int(byte >> 4)] + hexDigits[Int(byte & 0x0F)]
            }
        }
        return encoded
    }

    private static let hexDigits = "0123456789ABCDEF".map(String.init)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
