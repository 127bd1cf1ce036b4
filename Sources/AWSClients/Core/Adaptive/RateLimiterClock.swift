import Foundation

/// The adaptive rate limiter's time: where it reads the time and how it waits.
///
/// ``system`` in production; tests inject a clock they move themselves, so that the limiter's
/// arithmetic can be checked step by step and a wait costs no real time.
///
/// ```swift
/// var retry = RetryStrategy.adaptive()
/// retry.rateLimiterClock = RateLimiterClock(now: { clock.now }, sleep: { clock.advance(by: $0) })
/// ```
public struct RateLimiterClock: Sendable {
    /// Seconds since some fixed origin (the system clock: since 1970).
    public var now: @Sendable () -> Double
    /// Waits this many seconds; throws `CancellationError` when the task is cancelled.
    public var sleep: @Sendable (Double) async throws -> Void

    public init(now: @escaping @Sendable () -> Double, sleep: @escaping @Sendable (Double) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// Wall-clock time and `Task.sleep`.
    public static let system = RateLimiterClock(
        now: { Date().timeIntervalSince1970 },
        sleep: { seconds in try await Task.sleep(for: .nanoseconds(Int64((max(0, seconds) * 1e9).rounded(.up)))) })
}
