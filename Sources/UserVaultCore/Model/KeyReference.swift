import Foundation

/// Key references as the key services accept them: a bare key id or a key ARN.
public enum KeyReference {
    /// `arn:aws:kms:…:key/<id>` and `<id>` name the same key: both give `<id>`.
    public static func bareKeyId(_ reference: String) -> String {
        // Runs several times per audited user: a byte scan, not Foundation's `range(of:)`.
        let marker = Array(":key/".utf8)
        let bytes = reference.utf8
        guard bytes.count > marker.count, bytes.starts(with: "arn:".utf8) else { return reference }
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: ":"), bytes[index...].starts(with: marker) {
                return String(reference.utf8[bytes.index(index, offsetBy: marker.count)...]) ?? reference
            }
            index = bytes.index(after: index)
        }
        return reference
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for rates and reports).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
