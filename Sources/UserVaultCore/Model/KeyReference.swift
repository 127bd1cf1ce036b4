import Foundation

/// Key references as the key services accept them: a bare key id or a key ARN.
public enum KeyReference {
    /// `arn:aws:kms:…:key/<id>` and `<id>` name the same key: both give `<id>`.
    public static func bareKeyId(_ reference: String) -> String {
        if let range = reference.range(of: ":key/") { return String(reference[range.upperBound...]) }
        return reference
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for rates and reports).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
