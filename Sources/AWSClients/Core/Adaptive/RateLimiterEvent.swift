/// What the adaptive rate limiter did: for tests and diagnostics, never needed to use it.
public enum RateLimiterEvent: Sendable, Hashable {
    /// An answer was fed back and the rates moved.
    case updated(RateLimiterState)
    /// A request found no token and waits `seconds` before looking again (the limiter's own
    /// arithmetic, not a measured time).
    case waiting(seconds: Double)
}

/// The adaptive rate limiter's state after an answer, named as botocore names it.
public struct RateLimiterState: Sendable, Hashable {
    /// Whether this answer counted as throttling.
    public var throttled: Bool
    /// Whether the limiter is on (from the first throttle on).
    public var enabled: Bool
    /// The smoothed sending rate (requests per second).
    public var measuredRate: Double
    /// The token bucket's fill rate, never below the minimum of 0.5 per second.
    public var fillRate: Double
    public var maxCapacity: Double
    public var capacity: Double
    /// CUBIC: the rate at the last throttle (`w_max`), the time to grow back to it (`k`),
    /// and when the last throttle came.
    public var lastMaxRate: Double
    public var timeWindow: Double
    public var lastThrottleTime: Double

    public init(throttled: Bool, enabled: Bool, measuredRate: Double, fillRate: Double, maxCapacity: Double,
                capacity: Double, lastMaxRate: Double, timeWindow: Double, lastThrottleTime: Double) {
        self.throttled = throttled
        self.enabled = enabled
        self.measuredRate = measuredRate
        self.fillRate = fillRate
        self.maxCapacity = maxCapacity
        self.capacity = capacity
        self.lastMaxRate = lastMaxRate
        self.timeWindow = timeWindow
        self.lastThrottleTime = lastThrottleTime
    }
}
