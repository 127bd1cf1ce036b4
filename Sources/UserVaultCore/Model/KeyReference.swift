import Foundation

/// Key references as the key services accept them: a bare key id or a key ARN.
public enum KeyReference {
    /// `arn:aws:kms:…:key/<id>` and `<id>` name the same key: both give `<id>`.
    public static func bareKeyId(_ reference: String) -> String {
        // Runs several times per audited user: a scan of the UTF-8 bytes in place.
        guard reference.utf8.first == UInt8(ascii: "a") else { return reference }
        var contiguous = reference
        contiguous.makeContiguousUTF8()  // native strings already are: no copy
        return contiguous.utf8.withContiguousStorageIfAvailable(bareKeyId(bytes:)).flatMap { $0 } ?? reference
    }

    /// The id after the first `:key/` of an `arn:` reference; `nil` when it is not one.
    private static func bareKeyId(bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let arn: (UInt8, UInt8, UInt8, UInt8) = (0x61, 0x72, 0x6E, 0x3A)  // "arn:"
        guard bytes.count > 4, (bytes[0], bytes[1], bytes[2], bytes[3]) == arn else { return nil }
        // ":key/" = 3A 6B 65 79 2F
        var index = 3
        while index + 5 < bytes.count {
            if bytes[index] == 0x3A, bytes[index + 1] == 0x6B, bytes[index + 2] == 0x65, bytes[index + 3] == 0x79,
               bytes[index + 4] == 0x2F {
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[(index + 5)...]), as: UTF8.self)
            }
            index += 1
        }
        return nil
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for rates and reports).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
