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

    /// Whether two references name the same key (`bareKeyId` of both is equal), compared in
    /// place: the audit asks it of every proof, and building the two ids cost two allocations.
    public static func sameKey(_ first: String, _ second: String) -> Bool {
        var (first, second) = (first, second)
        return first.withUTF8 { first in
            second.withUTF8 { second in
                let a = UnsafeBufferPointer(rebasing: first[(bareKeyIdStart(first) ?? 0)...])
                let b = UnsafeBufferPointer(rebasing: second[(bareKeyIdStart(second) ?? 0)...])
                return a.elementsEqual(b)
            }
        }
    }

    /// The id after the first `:key/` of an `arn:` reference; `nil` when it is not one.
    private static func bareKeyId(bytes: UnsafeBufferPointer<UInt8>) -> String? {
        bareKeyIdStart(bytes).map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0...]), as: UTF8.self) }
    }

    /// Where the id starts in an `arn:` reference (after its first `:key/`); `nil` when it is not one.
    private static func bareKeyIdStart(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let arn: (UInt8, UInt8, UInt8, UInt8) = (0x61, 0x72, 0x6E, 0x3A)  // "arn:"
        guard bytes.count > 4, (bytes[0], bytes[1], bytes[2], bytes[3]) == arn else { return nil }
        // ":key/" = 3A 6B 65 79 2F
        var index = 3
        while index + 5 < bytes.count {
            if bytes[index] == 0x3A, bytes[index + 1] == 0x6B, bytes[index + 2] == 0x65, bytes[index + 3] == 0x79,
               bytes[index + 4] == 0x2F {
                return index + 5
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
