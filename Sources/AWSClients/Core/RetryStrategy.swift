import Foundation
import Synchronization

/// How failed calls are retried, after the AWS SDKs' retry modes.
///
/// - `standard`: up to `maxAttempts` (3) attempts for throttling and transient errors, full-jitter
///   exponential backoff `rand(0,1) · min(2^retry, 20 s)`, and a retry quota shared by the
///   client (500 tokens; a retry costs 5, a retry after a timeout 10; a success refunds).
/// - `adaptive`: `standard` plus botocore's client-side rate limiter (``ClientRateLimiter``): from
///   the first throttle on, requests take tokens at a rate cut by CUBIC on each throttle and grown
///   back after it, never below 0.5 per second.
/// - `none`: one attempt.
///
/// ```swift
/// let retry = RetryStrategy.standard(maxAttempts: 5)
/// ```
public struct RetryStrategy: Sendable {
    public enum Mode: String, Sendable { case standard, adaptive, none }

    public var mode: Mode
    public var maxAttempts: Int
    public var maxBackoff: Duration
    /// Uniform in `0..<1`; injected so tests can make backoff exact.
    public var jitter: @Sendable () -> Double
    /// Adaptive mode: the rate limiter's clock (the system clock unless a test injects one).
    public var rateLimiterClock: RateLimiterClock = .system
    /// Adaptive mode: told of every rate change and every wait of the rate limiter.
    public var rateLimiterObserver: (@Sendable (RateLimiterEvent) -> Void)?

    public init(mode: Mode, maxAttempts: Int, maxBackoff: Duration = .seconds(20),
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        self.mode = mode
        self.maxAttempts = mode == .none ? 1 : maxAttempts
        self.maxBackoff = maxBackoff
        self.jitter = jitter
    }

    public static func standard(maxAttempts: Int = 3) -> Self { .init(mode: .standard, maxAttempts: maxAttempts) }
    public static func adaptive(maxAttempts: Int = 3) -> Self { .init(mode: .adaptive, maxAttempts: maxAttempts) }
    public static let none = RetryStrategy(mode: .none, maxAttempts: 1)

    /// The delay before retry number `retry` (0 for the first retry).
    public func backoff(retry: Int) -> Duration {
        let cap = min(pow(2, Double(min(retry, 30))), maxBackoff.seconds)
        return .milliseconds(Int((jitter() * cap * 1000).rounded()))
    }

    /// From `AWS_RETRY_MODE` and `AWS_MAX_ATTEMPTS` (standard, 3 attempts when absent).
    public static func from(mode: String?, maxAttempts: String?) throws -> RetryStrategy {
        let attempts: Int
        if let maxAttempts {
            guard let value = Int(maxAttempts), value >= 1 else {
                throw AWSConfigurationError("AWS_MAX_ATTEMPTS must be a positive integer (got '\(maxAttempts)')")
            }
            attempts = value
        } else {
            attempts = 3
        }
        switch (mode ?? "standard").lowercased() {
        case "standard", "legacy": return .standard(maxAttempts: attempts)
        case "adaptive": return .adaptive(maxAttempts: attempts)
        case "none", "off": return .none
        default: throw AWSConfigurationError("AWS_RETRY_MODE must be standard or adaptive (got '\(mode ?? "")')")
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The retry quota of a client: a token bucket that stops retries when a service keeps failing.
///
/// Every successful request touches it, so it is a lock rather than an actor: no suspension on
/// the request path.
final class RetryQuota: Sendable {
    static let initialTokens = 500
    static let retryCost = 5
    static let timeoutRetryCost = 10
    static let noRetryIncrement = 1

    private let state = Mutex(initialTokens)

    var tokens: Int { state.withLock { $0 } }

    /// Takes the cost of one retry; `nil` when the quota is spent (then do not retry).
    func acquire(afterTimeout: Bool) -> Int? {
        let cost = afterTimeout ? Self.timeoutRetryCost : Self.retryCost
        return state.withLock { tokens in
            guard tokens >= cost else { return nil }
            tokens -= cost
            return cost
        }
    }

    /// A success refunds the last retry's cost, or adds a token when no retry was needed.
    func release(lastRetryCost: Int?) {
        state.withLock { tokens in
            tokens = min(Self.initialTokens, tokens + (lastRetryCost ?? Self.noRetryIncrement))
        }
    }
}

/// A configuration value that cannot be used. Safe to show: never holds a secret.
public struct AWSConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
