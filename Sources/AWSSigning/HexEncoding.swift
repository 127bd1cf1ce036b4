/// Lower-case hexadecimal rendering of digests, through a lookup table.
enum HexEncoding {
    /// `0123456789abcdef`: digests and signatures are written in lower case.
    static let lowercaseDigits: [UInt8] = Array("0123456789abcdef".utf8)
    /// `0123456789ABCDEF`: percent-encoding uses upper-case digits (`%2F`).
    static let uppercaseDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// The lower-case hex string of `bytes` (a digest or an authentication code).
    static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        lowercaseDigits.withUnsafeBufferPointer { digits in
            String(unsafeUninitializedCapacity: bytes.count * 2) { output in
                var index = 0
                for byte in bytes {
                    output[index] = digits[Int(byte >> 4)]
                    output[index + 1] = digits[Int(byte & 0x0F)]
                    index += 2
                }
                return index
            }
        }
    }
}
