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
