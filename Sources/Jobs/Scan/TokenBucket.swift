import UserVaultCore

/// A token bucket: `rate` tokens per second, holding at most `burst`. Spending may drive it
/// negative (a page's consumed capacity is known only afterwards); takers then wait it off.
actor TokenBucket {
    private let rate: Double
    private let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(rate: Double, burst: Double? = nil) {
        precondition(rate > 0, "rate must be positive")
        self.rate = rate
        self.burst = burst ?? rate
        self.tokens = burst ?? rate
        self.last = .now
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

    private func refill() {
        let now = ContinuousClock.now
        let seconds = (now - last).inSeconds
        last = now
        tokens = min(burst, tokens + seconds * rate)
    }
}
