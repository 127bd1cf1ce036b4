import AWSSigning
import Foundation
import Logging

/// Caches the credentials of another provider and refreshes them shortly before they expire,
/// one refresh at a time (soto-core's `ExpiringValue`).
///
/// - Credentials without an expiration are fetched once and kept.
/// - Within `refreshWindow` of the expiration (5 minutes by default; half the lifetime for
///   short-lived credentials) the next caller refreshes them. Concurrent callers await the same
///   refresh: the wrapped provider is asked once.
/// - If a refresh fails while the cached credentials are still valid, they are used and the
///   refresh is tried again after `retryAfterFailure`; once expired, the error is thrown.
///
/// ```swift
/// let cached = ExpiringCredentialProvider(AssumeRoleCredentialProvider(...))
/// let credentials = try await cached.credentials(logger: logger)   // fetched
/// let again = try await cached.credentials(logger: logger)         // cached
/// ```
public actor ExpiringCredentialProvider: CredentialProvider {
    public nonisolated let base: any CredentialProvider
    public nonisolated let refreshWindow: TimeInterval
    public nonisolated let retryAfterFailure: TimeInterval
    private let now: @Sendable () -> Date

    private struct Cached {
        var credentials: AWSCredentials
        /// When to refresh: `nil` for credentials that never expire.
        var refreshAt: Date?
    }

    private enum State {
        case empty
        case cached(Cached)
        case refreshing(Task<AWSCredentials, any Error>, previous: Cached?)
    }

    private var state = State.empty
    private var lastFailure: Date?

    /// - Parameters:
    ///   - refreshWindow: how long before the expiration to refresh, in seconds.
    ///   - retryAfterFailure: how long to keep using still-valid credentials after a failed refresh.
    ///   - now: the clock (injected by tests).
    public init(_ base: any CredentialProvider, refreshWindow: TimeInterval = 300, retryAfterFailure: TimeInterval = 10,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.base = base
        self.refreshWindow = refreshWindow
        self.retryAfterFailure = retryAfterFailure
        self.now = now
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        switch state {
        case .cached(let cached):
            guard needsRefresh(cached) else { return cached.credentials }
            return try await refresh(previous: cached, logger: logger)
        case .refreshing(let task, let previous):
            return try await finish(task, previous: previous, logger: logger)
        case .empty:
            return try await refresh(previous: nil, logger: logger)
        }
    }

    /// Drops the cached credentials (e.g. after the service rejected them).
    public func invalidate() {
        if case .cached = state { state = .empty }
    }

    private func needsRefresh(_ cached: Cached) -> Bool {
        guard let refreshAt = cached.refreshAt else { return false }
        let time = now()
        guard time >= refreshAt else { return false }
        if let expiration = cached.credentials.expiration, time < expiration,
           let lastFailure, time.timeIntervalSince(lastFailure) < retryAfterFailure {
            return false
        }
        return true
    }

    private func refresh(previous: Cached?, logger: Logger) async throws -> AWSCredentials {
        let base = base
        let task = Task { try await base.credentials(logger: logger) }
        state = .refreshing(task, previous: previous)
        return try await finish(task, previous: previous, logger: logger)
    }

    private func finish(_ task: Task<AWSCredentials, any Error>, previous: Cached?,
                        logger: Logger) async throws -> AWSCredentials {
        do {
            let credentials = try await task.value
            if case .refreshing(let current, _) = state, current == task {
                state = .cached(Cached(credentials: credentials, refreshAt: refreshTime(credentials)))
                lastFailure = nil
            }
            return credentials
        } catch {
            if case .refreshing(let current, _) = state, current == task {
                state = previous.map { .cached($0) } ?? .empty
                lastFailure = now()
            }
            if let previous, let expiration = previous.credentials.expiration, now() < expiration {
                logger.warning("credential refresh failed; using the current credentials until they expire", metadata: [
                    "error": "\(CredentialError.oneLine("\(error)"))", "expiration": "\(expiration)",
                ])
                return previous.credentials
            }
            throw error
        }
    }

    private func refreshTime(_ credentials: AWSCredentials) -> Date? {
        guard let expiration = credentials.expiration else { return nil }
        let lifetime = max(0, expiration.timeIntervalSince(now()))
        return expiration.addingTimeInterval(-min(refreshWindow, lifetime / 2))
    }
}
