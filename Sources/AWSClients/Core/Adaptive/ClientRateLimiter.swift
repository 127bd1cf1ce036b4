/// The adaptive retry mode's client-side rate limiter, step for step as botocore's
/// (`botocore/retries/adaptive.py`): off until the first throttle; then every request takes a
/// token from a ``RateLimiterBucket`` whose rate ``CubicCalculator`` sets from each answer,
/// capped at twice the rate ``RateClocker`` measures.
///
/// Throttling is by error code only, as botocore's `ThrottlingErrorDetector` decides it
/// (``AWSError/slowsRateLimiter``). A request never waits longer for one token than
/// `1 / 0.5` s at a time, and waits again only if another request took the token first.
actor ClientRateLimiter {
    /// botocore's `_MAX_RATE_ADJUST_SCALE`: the rate never exceeds twice the measured rate.
    static let maxRateAdjustScale = 2.0

    private var clocker: RateClocker
    private var cubic: CubicCalculator
    private var bucket: RateLimiterBucket
    private(set) var enabled = false
    private let clock: RateLimiterClock
    private let observer: (@Sendable (RateLimiterEvent) -> Void)?

    init(clock: RateLimiterClock = .system, observer: (@Sendable (RateLimiterEvent) -> Void)? = nil) {
        let start = clock.now()
        self.clock = clock
        self.observer = observer
        clocker = RateClocker(start: start)
        cubic = CubicCalculator(start: start)
        bucket = RateLimiterBucket(start: start)
    }

    init(now: @escaping @Sendable () -> Double) {
        self.init(clock: RateLimiterClock(now: now, sleep: { _ in }))
    }

    var measuredTxRate: Double { clocker.measuredRate }
    var fillRate: Double { bucket.fillRate }

    /// Waits for a token once throttling has been seen; at once before that.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    func acquire() async throws {
        while let wait = tryAcquire() {
            observer?(.waiting(seconds: wait))
            try await clock.sleep(wait)
        }
    }

    /// Takes a token if there is one (`nil`), else says how long until there is; never waits.
    func tryAcquire() -> Double? {
        guard enabled else { return nil }
        return bucket.take(at: clock.now())
    }

    /// Feeds back one answer: throttled or not.
    func update(throttled: Bool) {
        let measured = clocker.record(at: clock.now())
        let time = clock.now()
        let newRate: Double
        if throttled {
            let rate = enabled ? min(measured, bucket.fillRate) : measured
            newRate = cubic.errorReceived(rate: rate, at: time)
            enabled = true
        } else {
            newRate = cubic.successReceived(at: time)
        }
        bucket.setMaxRate(min(newRate, Self.maxRateAdjustScale * measured), at: time)
        observer?(.updated(state(throttled: throttled)))
    }

    /// The state as of the last answer.
    func state(throttled: Bool = false) -> RateLimiterState {
        RateLimiterState(throttled: throttled, enabled: enabled, measuredRate: clocker.measuredRate,
                         fillRate: bucket.fillRate, maxCapacity: bucket.maxCapacity, capacity: bucket.capacity,
                         lastMaxRate: cubic.lastMaxRate, timeWindow: cubic.timeWindow,
                         lastThrottleTime: cubic.lastThrottleTime)
    }
}
