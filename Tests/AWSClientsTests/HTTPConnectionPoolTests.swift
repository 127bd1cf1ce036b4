@testable import AWSClients
import NIOCore
import NIOEmbedded
import Testing

/// Which idle connection a request gets: its own event loop's first, so that a task and its
/// connection share a thread.
@Suite("Connection pool: event-loop affinity")
struct HTTPConnectionPoolTests {
    static func connected() async throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
        return channel
    }

    static func idle(_ lease: HTTPConnectionPool.Lease) -> ObjectIdentifier? {
        if case .idle(let channel) = lease { return ObjectIdentifier(channel) }
        return nil
    }

    @Test("the caller's loop's idle connection first; then room to open one; another loop's only when the pool is full")
    func affinity() async throws {
        let pool = HTTPConnectionPool(limit: 3, idleTimeout: .seconds(60))
        let (a, b) = (try await Self.connected(), try await Self.connected())
        let elsewhere = EmbeddedEventLoop()
        for _ in 0..<2 { #expect(Self.idle(try await pool.lease(preferring: nil)) == nil, "room: the right to connect") }
        pool.release(b, reusable: true)
        pool.release(a, reusable: true)  // a is the most recent

        #expect(Self.idle(try await pool.lease(preferring: b.eventLoop)) == ObjectIdentifier(b), "b's loop gets b, not the more recent a")
        pool.release(b, reusable: true)
        #expect(Self.idle(try await pool.lease(preferring: nil)) == ObjectIdentifier(b), "off the loops: the most recent")
        pool.release(b, reusable: true)

        // A loop with no connection of its own opens one while there is room ...
        #expect(Self.idle(try await pool.lease(preferring: elsewhere)) == nil)
        // ... and, the pool full, takes another loop's most recent idle connection rather than wait.
        #expect(Self.idle(try await pool.lease(preferring: elsewhere)) == ObjectIdentifier(b))
        #expect(Self.idle(try await pool.lease(preferring: elsewhere)) == ObjectIdentifier(a))
        try await a.close()
        try await b.close()
    }

    @Test("a dead idle connection is dropped while looking for the caller's loop's, and its place counts as free")
    func staleWhileLooking() async throws {
        let pool = HTTPConnectionPool(limit: 2, idleTimeout: .seconds(60))
        let (a, b) = (try await Self.connected(), try await Self.connected())
        for _ in 0..<2 { _ = try await pool.lease(preferring: nil) }
        pool.release(a, reusable: true)
        pool.release(b, reusable: true)
        try await b.close()
        #expect(Self.idle(try await pool.lease(preferring: a.eventLoop)) == ObjectIdentifier(a))
        #expect(Self.idle(try await pool.lease(preferring: a.eventLoop)) == nil, "b's place is free again: connect")
        try await a.close()
    }
}
