import Foundation
import Synchronization
import UserVaultCore

/// A token bucket: `rate` tokens per second, holding at most one second's worth (or `burst`).
/// Spending may drive it negative (a page's consumed capacity is known only afterwards); takers
/// then wait it off.
///
/// It is also adaptive: ``slowDown()`` — on a throttled answer — drops the rate to 70% (never
/// below 5% of the budget), and after a second without one it climbs back by 5% of the budget per
/// second (additive increase, multiplicative decrease), so a job that meets throttling slows
/// down rather than spending its retries.
actor TokenBucket {
    /// The budget: the rate never goes above it.
    private let ceiling: Double
    private let fixedBurst: Double?
    private var rate: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant
    private var lastSlowDown: ContinuousClock.Instant?

    static let decrease = 0.7
    static let floorShare = 0.05
    static let recoveryPerSecond = 0.05

    init(rate: Double, burst: Double? = nil) {
        precondition(rate > 0, "rate must be positive")
        ceiling = rate
        self.rate = rate
        fixedBurst = burst
        tokens = burst ?? rate
        last = .now
    }

    private var burst: Double { fixedBurst ?? rate }

    /// The rate in force now, tokens per second.
    var currentRate: Double {
        refill()
        return rate
    }

    /// Waits until the bucket is not in debt, then takes `amount` (default 1).
    func take(_ amount: Double = 1) async throws {
        refill()
        while tokens < min(amount, burst) {
            let wait = (min(amount, burst) - tokens) / rate
            try await Task.sleep(for: .milliseconds(max(1, Int(wait * 1000))))
            refill()
        }
        tokens -= amount
    }

    /// Records spending learned after the fact (e.g. DynamoDB `ConsumedCapacity`).
    func spend(_ amount: Double) {
        refill()
        tokens -= amount
    }

    /// A throttled answer: slow down (see the type's description).
    func slowDown() {
        refill()
        rate = max(ceiling * Self.floorShare, rate * Self.decrease)
        tokens = min(tokens, burst)
        lastSlowDown = .now
    }

    private func refill() {
        let now = ContinuousClock.now
        let seconds = (now - last).inSeconds
        last = now
        if rate < ceiling, let lastSlowDown, (now - lastSlowDown).inSeconds > 1 {
            rate = min(ceiling, rate + ceiling * Self.recoveryPerSecond * seconds)
        }
        tokens = min(burst, tokens + seconds * rate)
    }
}

/// Notices throttled answers from a running count (a client's ``RequestCounters`` throttles),
/// read before each admission: a budget slows down when it grew.
public final class ThrottleWatch: Sendable {
    private let count: @Sendable () -> Int
    private let seen = Mutex(0)

    /// - Parameter count: the throttled answers so far (retried or not).
    public init(_ count: @escaping @Sendable () -> Int) {
        self.count = count
    }

    /// Whether throttles came since the last call.
    func throttledSinceLastLook() -> Bool {
        let now = count()
        return seen.withLock { seen in
            defer { seen = max(seen, now) }
            return now > seen
        }
    }
}
