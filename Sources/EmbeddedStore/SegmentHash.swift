import Crypto
import Foundation

/// The stable hash that places an item in scan segments: the first four bytes of
/// SHA-256(id), big-endian, in `0..<2^32`.
///
/// Segment `i` of `n` covers `[⌊i·2³²/n⌋, ⌊(i+1)·2³²/n⌋)`: for any `n` in `1...1_000_000` the
/// segments are disjoint and together cover the whole space, and an item never moves.
public enum SegmentHash {
    public static let space: UInt64 = 1 << 32
    public static let maxSegments = 1_000_000

    public static func hash(_ id: String) -> Int64 {
        let digest = SHA256.hash(data: Data(id.utf8))
        var value: UInt32 = 0
        for byte in digest.prefix(4) { value = value << 8 | UInt32(byte) }
        return Int64(value)
    }

    /// The half-open hash range of one segment.
    public static func range(segment: Int, of total: Int) -> Range<Int64> {
        precondition((1...maxSegments).contains(total) && (0..<total).contains(segment), "segment out of range")
        let lower = UInt64(segment) * space / UInt64(total)
        let upper = UInt64(segment + 1) * space / UInt64(total)
        return Int64(lower)..<Int64(upper)
    }
}

extension SegmentHash {
    /// A new key id that sorts with its owner's items: a version-4 UUID whose first 32 bits are the
    /// owner's segment hash (the rest random). A scan walks the items in hash order; with keys
    /// clustered the same way, the audit's key lookups walk the key tables in order too — cached
    /// pages instead of a random read per lookup. Without an owner it is an ordinary random UUID.
    static func keyId(owner: String?) -> String {
        var bytes = withUnsafeBytes(of: UUID().uuid) { Array($0) }
        if let owner {
            let hash = UInt32(hash(owner))
            bytes[0] = UInt8(hash >> 24)
            bytes[1] = UInt8((hash >> 16) & 0xFF)
            bytes[2] = UInt8((hash >> 8) & 0xFF)
            bytes[3] = UInt8(hash & 0xFF)
        }
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                               bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return uuid.uuidString.lowercased()
    }
}
