import Foundation
import Synchronization
import UserVaultCore

/// A token bucket: `rate` tokens per second, holding at most one second's worth (or `burst`).
/// Spending may drive it negative (a page's consumed capacity is known only afterwards); takers
/// then wait it off.
///
/// A taker that must wait reserves its place at once and sleeps once, until its turn: many
/// concurrent takers (16 segments × 16 requests in flight) cost one timer each, not a wake-up
/// every millisecond each to look again (which, at 2,750 requests/s, cost more CPU than the
/// requests themselves). Wake-ups are rounded up to the next ``tick`` (5 ms), so takers whose
/// turns fall in the same tick wake together: one timer firing per tick rather than per request,
/// never before a taker's turn, so the rate holds.
///
/// It is also adaptive: ``slowDown()`` — on a throttled answer — drops the rate to 70% (never
/// below 5% of the budget), and after a second without one it climbs back by 5% of the budget per
/// second (additive increase, multiplicative decrease), so a job that meets throttling slows
/// down rather than spending its retries.
actor TokenBucket {
    typealias Instant = ContinuousClock.Instant

    /// The budget: the rate never goes above it.
    private let ceiling: Double
    private let fixedBurst: Double?
    private var rate: Double
    private var tokens: Double
    private var last: Instant
    private var lastSlowDown: Instant?
    private let origin: Instant
    private let tick: Duration
    private let now: @Sendable () -> Instant
    private let sleep: @Sendable (Instant) async throws -> Void

    static let decrease = 0.7
    static let floorShare = 0.05
    static let recoveryPerSecond = 0.05

    /// - Parameters:
    ///   - tick: wake-ups are rounded up to a multiple of it (zero: not rounded).
    ///   - now: the clock (tests freeze it).
    ///   - sleep: waits until an instant (tests record the instants).
    init(rate: Double, burst: Double? = nil, tick: Duration = .milliseconds(5),
         now: @escaping @Sendable () -> Instant = { .now },
         sleep: @escaping @Sendable (Instant) async throws -> Void = { try await Task.sleep(until: $0, clock: .continuous) }) {
        precondition(rate > 0, "rate must be positive")
        ceiling = rate
        self.rate = rate
        fixedBurst = burst
        tokens = burst ?? rate
        self.now = now
        self.sleep = sleep
        self.tick = tick
        last = now()
        origin = last
    }

    private var burst: Double { fixedBurst ?? rate }

    /// The rate in force now, tokens per second.
    var currentRate: Double {
        refill()
        return rate
    }

    /// Takes `amount` (default 1), waiting first while the bucket holds fewer than
    /// `min(amount, burst)` tokens — including those reserved by takers still waiting.
    func take(_ amount: Double = 1) async throws {
        refill()
        let needed = min(amount, burst)
        let wait = tokens >= needed ? 0 : (needed - tokens) / rate
        tokens -= amount  // reserved now: the next taker queues behind this one
        if wait > 0 { try await sleep(wakeUp(at: last + .seconds(wait))) }
    }

    /// `turn`, rounded up to the next tick.
    private func wakeUp(at turn: Instant) -> Instant {
        guard tick > .zero else { return turn }
        let ticks = ((turn - origin) / tick).rounded(.up)
        return origin + tick * ticks
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
        lastSlowDown = last
    }

    private func refill() {
        let now = now()
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
