import Foundation

/// The measured sending rate of the adaptive limiter, as botocore's `RateClocker` measures it:
/// answers are counted in half-second buckets, and each time a new bucket starts the rate of the
/// bucket(s) just ended is blended in, `rate = 0.8 · current + 0.2 · rate`.
struct RateClocker: Sendable {
    static let smoothing = 0.8
    /// Seconds per bucket.
    static let timeBucketRange = 0.5

    private(set) var measuredRate = 0.0
    private var lastBucket: Double
    private var count = 0

    /// Starts measuring at `start` (botocore starts at the whole second: `floor(start)`).
    init(start: Double) {
        lastBucket = start.rounded(.down)
    }

    /// Counts one answer at `time`; returns the measured rate.
    mutating func record(at time: Double) -> Double {
        let scale = 1 / Self.timeBucketRange
        let bucket = (time * scale).rounded(.down) / scale
        count += 1
        if bucket > lastBucket {
            let currentRate = Double(count) / (bucket - lastBucket)
            measuredRate = currentRate * Self.smoothing + measuredRate * (1 - Self.smoothing)
            count = 0
            lastBucket = bucket
        }
        return measuredRate
    }
}
