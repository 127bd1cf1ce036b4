@testable import AWSClients
import Foundation
import Testing

@Suite("Retry strategy, quota and adaptive rate limiter")
struct RetryStrategyTests {
    // MARK: Backoff

    @Test("backoff is full jitter: rand · min(2^retry, 20 s)",
          arguments: [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (5, 20.0), (9, 20.0), (1_000, 20.0)])
    func fullJitter(retry: Int, cap: Double) {
        let half = RetryStrategy(mode: .standard, maxAttempts: 3, jitter: { 0.5 })
        #expect(half.backoff(retry: retry) == .milliseconds(Int(cap * 500)))
        let none = RetryStrategy(mode: .standard, maxAttempts: 3, jitter: { 0 })
        #expect(none.backoff(retry: retry) == .zero)
        let almostOne = RetryStrategy(mode: .standard, maxAttempts: 3, jitter: { 0.999 })
        #expect(almostOne.backoff(retry: retry) == .milliseconds(Int((cap * 999).rounded())))
    }

    @Test("random jitter stays within [0, cap]")
    func randomJitterBounds() {
        let strategy = RetryStrategy.standard()
        for retry in 0..<8 {
            let cap = Duration.milliseconds(Int(min(pow(2, Double(retry)), 20) * 1000))
            for _ in 0..<50 {
                let delay = strategy.backoff(retry: retry)
                #expect(delay >= .zero && delay <= cap)
            }
        }
    }

    @Test("a smaller maxBackoff caps the delay")
    func maxBackoff() {
        let strategy = RetryStrategy(mode: .standard, maxAttempts: 5, maxBackoff: .seconds(3), jitter: { 1 })
        #expect(strategy.backoff(retry: 0) == .seconds(1))
        #expect(strategy.backoff(retry: 1) == .seconds(2))
        #expect(strategy.backoff(retry: 2) == .seconds(3))
        #expect(strategy.backoff(retry: 10) == .seconds(3))
    }

    // MARK: AWS_RETRY_MODE / AWS_MAX_ATTEMPTS

    @Test("from(mode:maxAttempts:) reads AWS_RETRY_MODE and AWS_MAX_ATTEMPTS", arguments: [
        (nil, nil, RetryStrategy.Mode.standard, 3),
        ("standard", nil, .standard, 3),
        ("STANDARD", "7", .standard, 7),
        ("legacy", "2", .standard, 2),
        ("adaptive", nil, .adaptive, 3),
        ("Adaptive", "10", .adaptive, 10),
        (nil, "1", .standard, 1),
        ("none", "5", .none, 1),
    ] as [(String?, String?, RetryStrategy.Mode, Int)])
    func fromEnvironment(mode: String?, maxAttempts: String?, expectedMode: RetryStrategy.Mode, expectedAttempts: Int) throws {
        let strategy = try RetryStrategy.from(mode: mode, maxAttempts: maxAttempts)
        #expect(strategy.mode == expectedMode)
        #expect(strategy.maxAttempts == expectedAttempts)
    }

    @Test("bad AWS_RETRY_MODE or AWS_MAX_ATTEMPTS is a clear configuration error", arguments: [
        ("fast", nil), ("", nil), (nil, "0"), (nil, "-1"), (nil, "three"), (nil, ""), ("standard", "2.5"),
    ] as [(String?, String?)])
    func fromEnvironmentRejects(mode: String?, maxAttempts: String?) {
        let error = #expect(throws: AWSConfigurationError.self) {
            try RetryStrategy.from(mode: mode, maxAttempts: maxAttempts)
        }
        let text = error?.description ?? ""
        #expect(text.contains("AWS_RETRY_MODE") || text.contains("AWS_MAX_ATTEMPTS"))
    }

    // MARK: Retry quota

    @Test("the retry quota: 500 tokens, 5 per retry, 10 per timeout retry, refunds on success")
    func retryQuota() async {
        let quota = RetryQuota()
        #expect(quota.tokens == 500)
        #expect(quota.acquire(afterTimeout: false) == 5)
        #expect(quota.acquire(afterTimeout: true) == 10)
        #expect(quota.tokens == 485)
        quota.release(lastRetryCost: 10)
        #expect(quota.tokens == 495)
        quota.release(lastRetryCost: nil)
        #expect(quota.tokens == 496)
        for _ in 0..<99 { _ = quota.acquire(afterTimeout: false) }
        #expect(quota.tokens == 1)
        #expect(quota.acquire(afterTimeout: false) == nil)
        #expect(quota.tokens == 1)
        for _ in 0..<1_000 { quota.release(lastRetryCost: 5) }
        #expect(quota.tokens == 500)
    }

    // MARK: Adaptive mode

    /// `count` successful responses at `rate` per second.
    static func succeed(_ limiter: ClientRateLimiter, clock: ManualClock, rate: Double, count: Int) async throws {
        for _ in 0..<count {
            try await limiter.acquire()
            await limiter.update(throttled: false)
            clock.advance(by: 1 / rate)
        }
    }

    @Test("adaptive: no rate limit until the first throttle")
    func adaptiveStartsDisabled() async throws {
        let clock = ManualClock()
        let limiter = ClientRateLimiter(now: { clock.now })
        try await Self.succeed(limiter, clock: clock, rate: 50, count: 200)
        #expect(await !limiter.enabled)
        #expect(await limiter.measuredTxRate > 45)
    }

    @Test("adaptive: a throttle cuts the fill rate to β = 0.7 of the measured rate, again on each throttle")
    func adaptiveSlowsDown() async throws {
        let clock = ManualClock()
        let limiter = ClientRateLimiter(now: { clock.now })
        try await Self.succeed(limiter, clock: clock, rate: 10, count: 40)
        await limiter.update(throttled: true)
        let measured = await limiter.measuredTxRate
        #expect(abs(measured - 10) < 0.5)
        #expect(await limiter.enabled)
        let first = await limiter.fillRate
        #expect(abs(first - 0.7 * measured) < 1e-9)

        // A second throttle at once: β of the (already reduced) fill rate.
        await limiter.update(throttled: true)
        let second = await limiter.fillRate
        #expect(abs(second - 0.7 * first) < 1e-9)

        // Never below the minimum fill rate of 0.5/s.
        for _ in 0..<30 { await limiter.update(throttled: true) }
        #expect(await limiter.fillRate == 0.5)
    }

    @Test("adaptive: after a throttle the rate grows back along the cubic curve to the rate before it")
    func adaptiveRecovers() async throws {
        let clock = ManualClock()
        let limiter = ClientRateLimiter(now: { clock.now })
        try await Self.succeed(limiter, clock: clock, rate: 10, count: 40)
        await limiter.update(throttled: true)
        let lastMaxRate = await limiter.measuredTxRate
        let reduced = await limiter.fillRate
        // CUBIC: the rate is back at lastMaxRate after W = ∛(lastMaxRate · (1 − β) / C), C = 0.4.
        let window = cbrt(lastMaxRate * 0.3 / 0.4)
        var previous = reduced
        var elapsed = 0.0
        while elapsed + 0.1 < window {
            clock.advance(by: 0.1)
            elapsed += 0.1
            await limiter.update(throttled: false)
            let rate = await limiter.fillRate
            #expect(rate >= previous - 1e-9, "the fill rate only grows while recovering")
            #expect(rate < lastMaxRate + 1e-9)
            previous = rate
        }
        #expect(previous > reduced)
        clock.advance(by: window - elapsed)
        await limiter.update(throttled: false)
        let recovered = await limiter.fillRate
        #expect(abs(recovered - min(lastMaxRate, 2 * (await limiter.measuredTxRate))) < 0.05)
    }
}
