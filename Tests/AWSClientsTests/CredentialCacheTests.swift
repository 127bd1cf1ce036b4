@testable import AWSClients
import AWSSigning
import Foundation
import Testing
import TestSupport

@Suite("Expiring credentials: caching and single-flight refresh")
struct CredentialCacheTests {
    /// Asks `cache` from `callers` concurrent tasks; returns the access key ids they got.
    func concurrently(_ cache: ExpiringCredentialProvider, callers: Int = 20) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<callers {
                group.addTask { try await cache.credentials(logger: testLogger).accessKeyId }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test("20 concurrent callers with nothing cached cause one fetch")
    func firstFetchIsShared() async throws {
        let clock = TestClock()
        let base = CountingCredentialProvider(clock: clock)
        let cache = ExpiringCredentialProvider(base, now: clock.function)
        let keys = try await concurrently(cache)
        #expect(base.count == 1)
        #expect(Set(keys) == ["AKID1"])
    }

    @Test("20 concurrent callers with expired credentials cause exactly one refresh")
    func expiredRefreshIsShared() async throws {
        let clock = TestClock()
        let base = CountingCredentialProvider(clock: clock, lifetime: 3600, delay: .milliseconds(100))
        let cache = ExpiringCredentialProvider(base, now: clock.function)
        #expect(try await cache.credentials(logger: testLogger).accessKeyId == "AKID1")
        clock.advance(by: 2 * 3600)
        let keys = try await concurrently(cache)
        #expect(base.count == 2)
        #expect(keys.count == 20)
        #expect(Set(keys) == ["AKID2"])
        // And the refreshed credentials are cached again.
        #expect(try await cache.credentials(logger: testLogger).accessKeyId == "AKID2")
        #expect(base.count == 2)
    }

    @Test("credentials are refreshed within five minutes of their expiration, not before")
    func refreshesBeforeExpiry() async throws {
        let clock = TestClock()
        let base = CountingCredentialProvider(clock: clock, lifetime: 3600, delay: .zero)
        let cache = ExpiringCredentialProvider(base, now: clock.function)
        let first = try await cache.credentials(logger: testLogger)
        #expect(first.accessKeyId == "AKID1")

        clock.advance(by: 3600 - 6 * 60)  // six minutes left: still cached
        #expect(try await cache.credentials(logger: testLogger).accessKeyId == "AKID1")
        #expect(base.count == 1)

        clock.advance(by: 2 * 60)  // four minutes left: refreshed, although still valid
        let refreshed = try await cache.credentials(logger: testLogger)
        #expect(refreshed.accessKeyId == "AKID2")
        #expect(clock.now < first.expiration!)
        #expect(base.count == 2)
    }

    @Test("a failed refresh keeps still-valid credentials, and fails once they expire")
    func failedRefresh() async throws {
        let clock = TestClock()
        let base = CountingCredentialProvider(clock: clock, lifetime: 3600, delay: .zero)
        let cache = ExpiringCredentialProvider(base, retryAfterFailure: 10, now: clock.function)
        _ = try await cache.credentials(logger: testLogger)
        base.fail(true)
        clock.advance(by: 3600 - 60)
        #expect(try await cache.credentials(logger: testLogger).accessKeyId == "AKID1")
        #expect(base.count == 2)
        // Within the retry delay the failed refresh is not tried again.
        clock.advance(by: 5)
        #expect(try await cache.credentials(logger: testLogger).accessKeyId == "AKID1")
        #expect(base.count == 2)

        clock.advance(by: 120)  // expired
        await #expect(throws: CredentialError.self) {
            try await cache.credentials(logger: testLogger)
        }
        base.fail(false)
        #expect(try await cache.credentials(logger: testLogger).accessKeyId == "AKID4")
    }

    @Test("credentials without an expiration are fetched once")
    func nonExpiring() async throws {
        let clock = TestClock()
        let base = CountingCredentialProvider(clock: clock, lifetime: nil, delay: .zero)
        let cache = ExpiringCredentialProvider(base, now: clock.function)
        for _ in 0..<5 {
            _ = try await cache.credentials(logger: testLogger)
            clock.advance(by: 86_400)
        }
        #expect(base.count == 1)
    }

    @Test("short-lived credentials are refreshed at half their lifetime, not on every call")
    func shortLived() async throws {
        let clock = TestClock()
        let base = CountingCredentialProvider(clock: clock, lifetime: 120, delay: .zero)
        let cache = ExpiringCredentialProvider(base, now: clock.function)
        _ = try await cache.credentials(logger: testLogger)
        clock.advance(by: 30)
        _ = try await cache.credentials(logger: testLogger)
        #expect(base.count == 1)
        clock.advance(by: 40)
        _ = try await cache.credentials(logger: testLogger)
        #expect(base.count == 2)
    }
}
