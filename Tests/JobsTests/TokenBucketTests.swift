import Foundation
@testable import Jobs
import Synchronization
import Testing
import UserVaultCore

/// The budgets' token bucket, on a frozen clock: every wait it asks for is recorded, none is slept.
@Suite("Token bucket")
struct TokenBucketTests {
    /// A clock that moves only when told, and the instants the bucket asked to sleep until.
    final class FrozenTime: Sendable {
        let start = ContinuousClock.now
        private let state = Mutex<(offset: Duration, sleeps: [Duration])>((.zero, []))

        var now: ContinuousClock.Instant { start + state.withLock { $0.offset } }
        var sleeps: [Duration] { state.withLock { $0.sleeps } }
        func advance(_ duration: Duration) { state.withLock { $0.offset += duration } }
        func sleep(until instant: ContinuousClock.Instant) { state.withLock { $0.sleeps.append(instant - start) } }

        func bucket(rate: Double, burst: Double? = nil, tick: Duration = .zero) -> TokenBucket {
            TokenBucket(rate: rate, burst: burst, tick: tick, now: { self.now }, sleep: { self.sleep(until: $0) })
        }
    }

    @Test("concurrent takers each reserve a turn and sleep once, one interval apart")
    func oneSleepPerTaker() async throws {
        let time = FrozenTime()
        let bucket = time.bucket(rate: 1_000, burst: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<100 { group.addTask { try await bucket.take() } }
            try await group.waitForAll()
        }
        // The first token was in the bucket; the other 99 takers wait 1 ms, 2 ms, … 99 ms.
        let sleeps = time.sleeps.sorted()
        #expect(sleeps.count == 99)
        for (index, sleep) in sleeps.enumerated() {
            let expected = Double(index + 1) / 1_000
            #expect(abs(sleep.inSeconds - expected) < 1e-9, "taker \(index + 2) sleeps until \(sleep)")
        }
    }

    @Test("wake-ups are rounded up to the tick: takers of one tick wake together, none before its turn")
    func wakeUpsShareTicks() async throws {
        let time = FrozenTime()
        let bucket = time.bucket(rate: 1_000, burst: 1, tick: .milliseconds(5))
        for _ in 0..<20 { try await bucket.take() }
        // Turns at 1 … 19 ms wake at 5, 10, 15, 20 ms: four distinct instants, five takers each at most.
        let sleeps = time.sleeps
        #expect(sleeps.count == 19)
        #expect(Set(sleeps) == [.milliseconds(5), .milliseconds(10), .milliseconds(15), .milliseconds(20)])
        for (index, sleep) in sleeps.enumerated() {
            #expect(sleep >= .milliseconds(index + 1), "taker \(index + 2) woke before its turn")
        }
    }

    @Test("the clock's refill serves takers without a sleep; spending after the fact puts the next one in debt")
    func refillAndDebt() async throws {
        let time = FrozenTime()
        let bucket = time.bucket(rate: 10)
        for _ in 0..<10 { try await bucket.take() }  // a full second's worth at once
        #expect(time.sleeps.isEmpty)
        time.advance(.milliseconds(500))
        for _ in 0..<5 { try await bucket.take() }  // refilled by half a second
        #expect(time.sleeps.isEmpty)
        await bucket.spend(20)  // e.g. a page's consumed capacity: 2 s of debt
        try await bucket.take()
        #expect(time.sleeps.count == 1)
        #expect(abs(try #require(time.sleeps.first).inSeconds - 2.6) < 1e-9, "debt of 20 + 1 token at 10/s from 0.5 s")
    }

    @Test("a throttle slows the rate to 70%; it climbs back after a quiet second")
    func slowsDownAndRecovers() async throws {
        let time = FrozenTime()
        let bucket = time.bucket(rate: 100)
        await bucket.slowDown()
        #expect(await bucket.currentRate == 70)
        time.advance(.seconds(2))
        #expect(await bucket.currentRate == 80, "5 per second for the 2 s since the slow-down")
    }
}
