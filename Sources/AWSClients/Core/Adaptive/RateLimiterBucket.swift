/// The adaptive limiter's token bucket, as botocore's `TokenBucket`: tokens accrue at the fill
/// rate (never below 0.5 per second) up to a capacity equal to the rate (at least 1); a request
/// takes one token, and capacity never goes below zero.
struct RateLimiterBucket: Sendable {
    static let minFillRate = 0.5

    private(set) var fillRate: Double
    private(set) var maxCapacity: Double
    private(set) var capacity = 0.0
    private var lastTimestamp: Double

    /// botocore starts the bucket at a rate of 1, empty, at the limiter's creation.
    init(maxRate: Double = 1, start: Double) {
        fillRate = max(maxRate, Self.minFillRate)
        maxCapacity = max(maxRate, 1)
        lastTimestamp = start
    }

    /// Sets the rate (`max_rate`), first crediting the tokens earned at the old one.
    mutating func setMaxRate(_ rate: Double, at time: Double) {
        refill(at: time)
        fillRate = max(rate, Self.minFillRate)
        maxCapacity = max(rate, 1)
        capacity = min(capacity, maxCapacity)
    }

    /// Takes a token (`nil`), or returns the seconds until one will be there.
    mutating func take(at time: Double) -> Double? {
        refill(at: time)
        guard capacity < 1 else {
            capacity -= 1
            return nil
        }
        return (1 - capacity) / fillRate
    }

    private mutating func refill(at time: Double) {
        capacity = min(maxCapacity, capacity + (time - lastTimestamp) * fillRate)
        lastTimestamp = time
    }
}
