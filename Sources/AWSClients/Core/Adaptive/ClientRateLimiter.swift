import Foundation

/// The adaptive mode's client-side rate limiter (CUBIC, as the AWS SDKs implement it): it
/// measures the sending rate, cuts it by β on throttling and grows it back along a cubic curve.
actor ClientRateLimiter {
    private let minFillRate = 0.5
    private let beta = 0.7
    private let scaleConstant = 0.4
    private let smooth = 0.8

    private(set) var fillRate = 0.0
    private var maxCapacity = 0.0
    private var currentCapacity = 0.0
    private var lastTimestamp: Double?
    private(set) var enabled = false
    private(set) var measuredTxRate = 0.0
    private var lastTxRateBucket: Double
    private var requestCount = 0
    private var lastMaxRate = 0.0
    private var lastThrottleTime: Double
    private var timeWindow = 0.0
    private let clock: RateLimiterClock
    private let observer: (@Sendable (RateLimiterEvent) -> Void)?

    init(clock: RateLimiterClock = .system, observer: (@Sendable (RateLimiterEvent) -> Void)? = nil) {
        self.clock = clock
        self.observer = observer
        lastTxRateBucket = (clock.now() * 2).rounded(.down) / 2
        lastThrottleTime = clock.now()
    }

    init(now: @escaping @Sendable () -> Double) {
        self.init(clock: RateLimiterClock(now: now, sleep: { _ in }))
    }

    private func now() -> Double { clock.now() }

    /// Waits until a token is available (only once throttling has been seen).
    func acquire() async {
        guard enabled else { return }
        refill()
        if currentCapacity < 1 {
            let wait = (1 - currentCapacity) / max(fillRate, minFillRate)
            observer?(.waiting(seconds: wait))
            try? await clock.sleep(wait)
            refill()
        }
        currentCapacity -= 1
    }

    /// Takes a token if there is one (`nil`), else says how long until there is; never waits.
    func tryAcquire() -> Double? {
        guard enabled else { return nil }
        refill()
        if currentCapacity < 1 { return (1 - currentCapacity) / max(fillRate, minFillRate) }
        currentCapacity -= 1
        return nil
    }

    /// The state as of the last answer.
    func state(throttled: Bool = false) -> RateLimiterState {
        RateLimiterState(throttled: throttled, enabled: enabled, measuredRate: measuredTxRate, fillRate: fillRate,
                         maxCapacity: maxCapacity, capacity: currentCapacity, lastMaxRate: lastMaxRate,
                         timeWindow: timeWindow, lastThrottleTime: lastThrottleTime)
    }

    /// Feeds back one response: throttled or not.
    func update(throttled: Bool) {
        updateMeasuredRate()
        let calculated: Double
        if throttled {
            let rate = enabled ? min(measuredTxRate, fillRate) : measuredTxRate
            lastMaxRate = rate
            computeTimeWindow()
            lastThrottleTime = now()
            calculated = rate * beta
            enabled = true
        } else {
            computeTimeWindow()
            let elapsed = now() - lastThrottleTime
            calculated = scaleConstant * pow(elapsed - timeWindow, 3) + lastMaxRate
        }
        let newRate = min(calculated, 2 * measuredTxRate)
        refill()
        fillRate = max(newRate, minFillRate)
        maxCapacity = max(newRate, 1)
        currentCapacity = min(currentCapacity, maxCapacity)
        observer?(.updated(state(throttled: throttled)))
    }

    private func computeTimeWindow() {
        timeWindow = pow(lastMaxRate * (1 - beta) / scaleConstant, 1.0 / 3)
    }

    private func refill() {
        let timestamp = now()
        if let last = lastTimestamp {
            currentCapacity = min(maxCapacity, currentCapacity + (timestamp - last) * fillRate)
        }
        lastTimestamp = timestamp
    }

    private func updateMeasuredRate() {
        let bucket = (now() * 2).rounded(.down) / 2
        requestCount += 1
        if bucket > lastTxRateBucket {
            let current = Double(requestCount) / (bucket - lastTxRateBucket)
            measuredTxRate = current * smooth + measuredTxRate * (1 - smooth)
            requestCount = 0
            lastTxRateBucket = bucket
        }
    }
}
