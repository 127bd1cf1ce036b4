import Foundation
@testable import Jobs
import Synchronization
import Testing
import UserVaultCore

/// The budgets' token bucket on a simulated clock: the bucket's sleep waits until the test moves
/// the clock to the instant asked for; every sleep and every taker let go is recorded.
@Suite("Token bucket")
struct TokenBucketTests {
    final class SimulatedTime: Sendable {
        struct State {
            var offset: Duration = .zero
            var sleeps: [Duration] = []
            var released: [Duration] = []
            var pending: (instant: Duration, continuation: CheckedContinuation<Void, Never>)?
        }

        let start = ContinuousClock.now
        private let state = Mutex(State())

        var now: ContinuousClock.Instant { start + elapsed }
        var elapsed: Duration { state.withLock { $0.offset } }
        var sleeps: [Duration] { state.withLock { $0.sleeps } }
        /// When takers were let go (``recordRelease()``), in order.
        var released: [Duration] { state.withLock { $0.released.sorted() } }
        func recordRelease() { state.withLock { $0.released.append($0.offset) } }
        func advance(_ duration: Duration) { state.withLock { $0.offset += duration } }

        func sleep(until instant: ContinuousClock.Instant) async {
            await withCheckedContinuation { continuation in
                state.withLock {
                    $0.sleeps.append(instant - start)
                    $0.pending = (instant - start, continuation)
                }
            }
        }

        /// Ends the bucket's pending sleep, the clock moved to its instant; false when none is pending.
        func wakeSleeper() -> Bool {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let pending = state.pending else { return nil }
                state.pending = nil
                state.offset = max(state.offset, pending.instant)
                return pending.continuation
            }
            continuation?.resume()
            return continuation != nil
        }

        func bucket(rate: Double, burst: Double? = nil, tick: Duration = .zero) -> TokenBucket {
            TokenBucket(rate: rate, burst: burst, tick: tick, now: { self.now }, sleep: { await self.sleep(until: $0) })
        }
    }

    /// Queues `count` concurrent takers, calls `whenQueued`, then runs the simulated clock until
    /// every taker is let go: the simulated instants at which they were, in order.
    static func release(_ count: Int, from bucket: TokenBucket, time: SimulatedTime,
                        whenQueued: () async -> Void = {}) async throws -> [Duration] {
        let takers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        try await bucket.take()
                        time.recordRelease()
                    }
                }
                try await group.waitForAll()
            }
        }
        // Conditions, not durations: every taker is in line or let go, and unless all were let go
        // at once, the first sleep is asked for.
        while await bucket.waiting + time.released.count < count
            || (time.released.count < count && time.sleeps.isEmpty) { await Task.yield() }
        await whenQueued()
        while time.released.count < count {
            if !time.wakeSleeper() { await Task.yield() }
        }
        try await takers.value
        return time.released
    }

    @Test("waiting takers are let go at the rate: the n-th token not before n intervals")
    func paced() async throws {
        let time = SimulatedTime()
        let released = try await Self.release(100, from: time.bucket(rate: 1_000, burst: 1), time: time)
        #expect(released.count == 100)
        for (index, instant) in released.enumerated() {
            #expect(instant >= .milliseconds(index), "taker \(index + 1) let go at \(instant)")
        }
        #expect(time.elapsed < .milliseconds(100), "99 intervals of 1 ms, and no more")
    }

    @Test("one timer serves the line: with a 5 ms tick, 99 waiting takers cost 20 wake-ups, not 99")
    func oneTimerPerTick() async throws {
        let time = SimulatedTime()
        let released = try await Self.release(100, from: time.bucket(rate: 1_000, burst: 1, tick: .milliseconds(5)), time: time)
        #expect(released.count == 100)
        for (index, instant) in released.enumerated() {
            #expect(instant >= .milliseconds(index), "taker \(index + 1) let go before its turn, at \(instant)")
        }
        let sleeps = time.sleeps
        #expect(sleeps.count == 20, "\(sleeps)")
        #expect(sleeps.allSatisfy { $0 / .milliseconds(5) == ($0 / .milliseconds(5)).rounded() }, "\(sleeps)")
    }

    @Test("a slow-down applies to takers already waiting")
    func slowDownAppliesToTheLine() async throws {
        let time = SimulatedTime()
        let bucket = time.bucket(rate: 100, burst: 1)
        _ = try await Self.release(11, from: bucket, time: time) { await bucket.slowDown() }
        // 10 waiting tokens at 70/s take at least 10/70 s; at the old rate they would take 0.1 s.
        #expect(time.elapsed >= .seconds(10.0 / 70) - .milliseconds(11), "\(time.elapsed)")
    }

    @Test("the clock's refill serves takers without a wait; spending after the fact puts the next one in debt")
    func refillAndDebt() async throws {
        let time = SimulatedTime()
        let bucket = time.bucket(rate: 10)
        for _ in 0..<10 { try await bucket.take() }  // a full second's worth at once
        #expect(time.sleeps.isEmpty)
        time.advance(.milliseconds(500))
        for _ in 0..<5 { try await bucket.take() }  // refilled by half a second
        #expect(time.sleeps.isEmpty)
        await bucket.spend(20)  // e.g. a page's consumed capacity: 2 s of debt
        _ = try await Self.release(1, from: bucket, time: time)
        #expect(time.sleeps.count == 1)
        #expect(abs(time.elapsed.inSeconds - 2.6) < 1e-9, "debt of 20 + 1 token at 10/s from 0.5 s")
    }

    @Test("a cancelled taker leaves the line with CancellationError; the others are let go")
    func cancelled() async throws {
        let bucket = TokenBucket(rate: 0.001)  // one token now, the next in 1,000 s
        try await bucket.take()
        let waiting = Task { try await bucket.take() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test("a throttle also drops the tokens saved up: the next taker waits instead of bursting into more throttling")
    func throttleDropsTheBurst() async throws {
        let time = SimulatedTime()
        let bucket = time.bucket(rate: 10)  // full: a second's worth, 10 tokens
        await bucket.slowDown()
        _ = try await Self.release(1, from: bucket, time: time)
        #expect(time.sleeps.count == 1, "the first taker after a throttle waited")
        #expect(abs(time.elapsed.inSeconds - 1.0 / 7) < 1e-9, "one token at the slowed rate, 7/s: \(time.elapsed)")
    }

    @Test("a throttle slows the rate to 70%; it climbs back after a quiet second")
    func slowsDownAndRecovers() async throws {
        let time = SimulatedTime()
        let bucket = time.bucket(rate: 100)
        await bucket.slowDown()
        #expect(await bucket.currentRate == 70)
        time.advance(.seconds(2))
        #expect(await bucket.currentRate == 80, "5 per second for the 2 s since the slow-down")
    }
}
