import Foundation
import Synchronization
import UserVaultCore

/// A token bucket: `rate` tokens per second, holding at most one second's worth (or `burst`).
/// Spending may drive it negative (a page's consumed capacity is known only afterwards); takers
/// then wait it off.
///
/// Takers that must wait queue in order, and one timer serves the queue: it wakes when the first
/// taker's tokens are there, rounded up to the next ``tick`` (50 ms), and lets go every taker the
/// bucket then holds tokens for. So 256 concurrent takers (16 segments × 16 requests) cost one
/// wake-up per tick, not one each per millisecond (which, at 2,750 requests/s, cost more CPU
/// than the requests themselves), and a change of rate applies to the whole queue at once.
///
/// The tick paces requests at 20 Hz: at 2,750/s they leave in groups of about 140, whose answers
/// then come back together, so the event loops wake once for many. Measured at the quota (30,000
/// users, one process): 206–219 µs of CPU per user with a 5 ms tick, 172–190 with 20 ms, 160–175
/// with 50 ms. A group is 5% of a second's budget, well within the burst the bucket allows
/// anyway (a second's worth); the average rate is unchanged.
///
/// It is also adaptive: ``slowDown()`` — on a throttled answer — drops the rate to 70% (never
/// below 5% of the budget) and any tokens saved up, and after a second without one it climbs
/// back by 5% of the budget per second (additive increase, multiplicative decrease), so a job
/// that meets throttling slows down rather than spending its retries.
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
    private let sleep: @Sendable (Instant) async -> Void

    private struct Waiter {
        var id: Int
        var amount: Double
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// Takers waiting, in order (`head` is the first).
    private var waiters: [Waiter] = []
    private var head = 0
    private var nextId = 0
    private var serving = false

    static let decrease = 0.7
    static let floorShare = 0.05
    static let recoveryPerSecond = 0.05

    /// - Parameters:
    ///   - tick: wake-ups are rounded up to a multiple of it (zero: not rounded).
    ///   - now: the clock (tests use a simulated one).
    ///   - sleep: waits until an instant.
    init(rate: Double, burst: Double? = nil, tick: Duration = .milliseconds(50),
         now: @escaping @Sendable () -> Instant = { .now },
         sleep: @escaping @Sendable (Instant) async -> Void = { try? await Task.sleep(until: $0, clock: .continuous) }) {
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

    /// At most a second's worth (or the burst given), and never less than a tick's worth, so
    /// that takers woken a tick late find the tokens that came meanwhile.
    private var burst: Double { max(fixedBurst ?? rate, rate * tick.inSeconds) }

    /// Takers waiting in line.
    var waiting: Int { waiters.count - head }

    /// The rate in force now, tokens per second.
    var currentRate: Double {
        refill()
        return rate
    }

    /// Takes `amount` (default 1), first waiting in line while the bucket holds fewer than
    /// `min(amount, burst)` tokens.
    func take(_ amount: Double = 1) async throws {
        refill()
        if head == waiters.count, tokens >= min(amount, burst) {
            tokens -= amount
            return
        }
        let id = nextId
        nextId += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append(Waiter(id: id, amount: amount, continuation: continuation))
                if !serving {
                    serving = true
                    Task { await serve() }
                }
            }
        } onCancel: {
            // Runs on the actor after the taker has queued (the actor is busy until then).
            Task { await self.cancel(id) }
        }
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
        tokens = min(tokens, 0)  // a saved-up burst would only meet more throttling
        lastSlowDown = last
    }

    /// Lets waiting takers go as tokens come, until none waits.
    private func serve() async {
        while head < waiters.count {
            refill()
            while head < waiters.count, tokens >= min(waiters[head].amount, burst) {
                tokens -= waiters[head].amount
                waiters[head].continuation.resume()
                head += 1
            }
            if head >= 1_024, head * 2 >= waiters.count {  // a line that never empties must not grow
                waiters.removeFirst(head)
                head = 0
            }
            if head == waiters.count { break }
            let wait = (min(waiters[head].amount, burst) - tokens) / rate
            await sleep(wakeUp(at: last + .seconds(wait)))
        }
        waiters.removeAll(keepingCapacity: true)
        head = 0
        serving = false
    }

    /// A cancelled taker leaves the line (unless it was already let go).
    private func cancel(_ id: Int) {
        guard let index = waiters[head...].firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// `turn`, rounded up to the next tick.
    private func wakeUp(at turn: Instant) -> Instant {
        guard tick > .zero else { return turn }
        let ticks = ((turn - origin) / tick).rounded(.up)
        return origin + tick * ticks
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
