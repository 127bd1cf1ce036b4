/// Lower-case hexadecimal text of bytes (digests: SHA-256 of export parts, email groups, ...).
public enum Hex {
    /// `bytes` as lower-case hex, two characters per byte.
    ///
    /// Inlinable, so that callers in other modules get it specialised for their byte sequence
    /// (the audit hashes every user's email: a generic call per user showed in its profile).
    @inlinable
    public static func lowercase<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        return String(unsafeUninitializedCapacity: input.count * 2) { output in
            for (index, byte) in input.enumerated() {
                output[2 * index] = digit(byte >> 4)
                output[2 * index + 1] = digit(byte & 0x0F)
            }
            return input.count * 2
        }
    }

    /// The ASCII lower-case hex digit of a nibble (`0...15`).
    @inlinable
    static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }
}
