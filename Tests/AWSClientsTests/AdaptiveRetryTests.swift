import AWSClients
import Foundation
import Synchronization
import Testing
import TestSupport

/// Adaptive mode end to end: a real client against a ``FaultServer`` that throttles one answer in
/// four, with concurrent callers. The limiter's waits are not slept but added to its clock, so
/// the test counts what the limiter decided instead of timing it.
@Suite("Adaptive retry mode under throttling")
struct AdaptiveRetryTests {
    /// Real time plus every wait the limiter asked for: waits cost no real time.
    final class SkippingClock: Sendable {
        private let skipped = Mutex(0.0)
        var now: Double { Date().timeIntervalSince1970 + skipped.withLock { $0 } }
        func skip(_ seconds: Double) { skipped.withLock { $0 += max(0, seconds) } }

        /// A rate limiter clock on this time, whose sleeps are skipped instead of waited.
        var limiterClock: RateLimiterClock {
            RateLimiterClock(now: { self.now }, sleep: { seconds in
                self.skip(seconds)
                await Task.yield()
            })
        }
    }

    @Test("25% throttled: every request completes, no wait exceeds one token at the minimum rate, capacity never negative")
    func throttledQuarter() async throws {
        let requests = 200, callers = 8
        let clock = SkippingClock()
        let events = Recorded<RateLimiterEvent>()
        var retry = RetryStrategy.withoutJitter(.adaptive, maxAttempts: 10)
        retry.rateLimiterClock = clock.limiterClock
        retry.rateLimiterObserver = { event in events.append(event) }
        // Every fourth answer is a throttle, from first to last.
        let script = (0..<(requests * 2)).map { $0 % 4 == 3 ? Fault.throttle(code: "ThrottlingException") : Fault.ok() }
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer(script) { server in
                let counters = RequestCounters()
                let dynamo = DynamoDBClient(server.client(transport: transport, retry: retry, counters: counters))
                let completed = try await withThrowingTaskGroup(of: Int.self) { group in
                    for caller in 0..<callers {
                        group.addTask {
                            var done = 0
                            for _ in stride(from: caller, to: requests, by: callers) {
                                _ = try await dynamo.describeTable("users")
                                done += 1
                            }
                            return done
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(completed == requests)
                #expect(server.requestCount == requests + counters.snapshot.throttles)
                #expect(counters.snapshot.throttles >= requests / 4)
            }
        }
        let recorded = events.values
        let states = recorded.compactMap { if case .updated(let state) = $0 { state } else { nil } }
        let waits = recorded.compactMap { if case .waiting(let seconds) = $0 { seconds } else { nil } }
        #expect(states.count >= requests)
        #expect(states.contains(where: \.throttled) && states.last?.enabled == true)
        // botocore's minimum fill rate is 0.5 token/s: one token is never more than 2 s away.
        #expect(states.allSatisfy { $0.fillRate >= 0.5 }, "the fill rate fell below botocore's minimum")
        #expect(states.allSatisfy { $0.capacity >= 0 }, "capacity went negative: \(states.map(\.capacity).min() ?? 0)")
        #expect(waits.allSatisfy { $0 <= 1 / 0.5 + 1e-9 }, "longest wait \(waits.max() ?? 0) s for one token")
        print("adaptive, 25% throttled: \(states.count) answers, \(waits.count) waits, longest \(waits.max() ?? 0) s, "
            + "sum \(waits.reduce(0, +)) s (skipped), final fill rate \(states.last?.fillRate ?? 0)/s")
    }
}
