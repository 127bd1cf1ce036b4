import Foundation

/// How ``APIServer`` bounds the connections it holds, so that idle or slow clients cannot
/// exhaust its file descriptors.
///
/// - ``idleTimeout``: a connection with no request in progress is closed after this long
///   (from accept, or from its last response). The default, 75 s, outlasts the 60 s idle
///   timeout of AWS load balancers, so the balancer, not the server, closes a kept-alive
///   connection, and never in a race with a request it is sending.
/// - ``headerTimeout``: a request's head (request line and headers) must arrive complete within
///   this long of its first byte, or of the accept for a connection's first request; otherwise
///   the connection is closed. It bounds slow-header ("slowloris") clients without cutting
///   short a kept-alive connection that is merely idle.
/// - ``maxConnections``: at most this many connections are open; more wait in the listen
///   backlog until one closes. The default stays below the descriptor limit (see
///   ``defaultMaxConnections(descriptorLimit:)``), and so does a value given: it is capped at
///   ``highestMaxConnections(descriptorLimit:)``, because running out of descriptors kills the
///   process (libdispatch's worker-pool monitor traps when it cannot open `/proc/self/task/N/stat`).
/// - ``acceptBackoff``: when `accept(2)` fails anyway for lack of descriptors or memory
///   (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), the server stops accepting for this long
///   instead of trying again at once.
public struct ConnectionLimits: Sendable, Equatable {
    public var idleTimeout: Duration
    public var headerTimeout: Duration
    public var maxConnections: Int
    public var acceptBackoff: Duration

    public static let defaultIdleTimeout: Duration = .seconds(75)
    public static let defaultHeaderTimeout: Duration = .seconds(10)

    /// - Parameter maxConnections: `nil` for ``defaultMaxConnections(descriptorLimit:)``.
    public init(idleTimeout: Duration = Self.defaultIdleTimeout, headerTimeout: Duration = Self.defaultHeaderTimeout,
                maxConnections: Int? = nil, acceptBackoff: Duration = .seconds(1)) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.maxConnections = maxConnections.map { min($0, Self.highestMaxConnections()) } ?? Self.defaultMaxConnections()
        self.acceptBackoff = acceptBackoff
    }

    /// The process's soft `RLIMIT_NOFILE` (capped at 2^20 when unlimited); `nil` if unknown.
    public static func descriptorLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return Int(min(UInt64(limit.rlim_cur), 1 << 20))
    }

    /// The descriptor limit minus headroom for everything else the process opens (the store
    /// and its WAL, event loops, the listening socket, connections to AWS, logs): a quarter of
    /// the limit, and at least 64 (or half of a limit under 128). Under `ulimit -n 256` that is
    /// 192 connections, under 1,024 it is 768; with no known limit, 1,024.
    /// The most connections a server may hold under `limit`: the limit less what the process
    /// cannot do without (the store, the event loops, stdio, and a descriptor free whenever
    /// libdispatch looks at its threads): an eighth of the limit, at least 32. Under
    /// `ulimit -n 256`, 224.
    public static func highestMaxConnections(descriptorLimit limit: Int? = descriptorLimit()) -> Int {
        guard let limit else { return .max }
        return max(1, limit - max(32, limit / 8))
    }

    public static func defaultMaxConnections(descriptorLimit limit: Int? = descriptorLimit()) -> Int {
        guard let limit else { return 1024 }
        let headroom = max(min(64, limit / 2), limit / 4)
        return max(1, limit - headroom)
    }
}
