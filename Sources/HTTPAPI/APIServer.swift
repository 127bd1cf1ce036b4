import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The local HTTP server (`uservault serve`): Hummingbird 2 over HTTP/1.1, every request
/// answered by ``UsersAPI/handle(_:logger:)``, within ``ConnectionLimits``.
///
/// ```swift
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask {
///         try await APIServer.run(api: api, host: "127.0.0.1", port: 0, logger: logger) { port in
///             print("listening on \(port)")
///         }
///     }
///     // ... later
///     group.cancelAll()
/// }
/// ```
public enum APIServer {
    /// How long a stop waits for the connections in flight before it cancels them.
    static let gracePeriod: Duration = .seconds(10)

    /// Binds `host:port`, calls `onReady` with the port actually bound (so port `0` picks a
    /// free one), and serves until the calling task is cancelled: then the listener closes,
    /// the connections already accepted are served and closed, and after ``gracePeriod`` what
    /// is left is cancelled.
    ///
    /// Logs one access line per request at `info` (method, path without query, status,
    /// milliseconds) with a `requestId` in its metadata; never a header value or a body.
    /// With `metrics`, counts and times every request (``APIMetrics``) and answers `GET /metrics`.
    ///
    /// - Throws: ``APIServerError`` when the address cannot be bound.
    public static func run(
        api: UsersAPI, host: String, port: Int, limits: ConnectionLimits = .init(), metrics: APIMetrics? = nil, logger: Logger,
        onReady: @escaping @Sendable (Int) async -> Void
    ) async throws {
        try await run(api: DeferredUsersAPI(api), host: host, port: port, limits: limits, metrics: metrics, logger: logger,
                      onReady: onReady)
    }

    /// ``run(api:host:port:limits:metrics:logger:onReady:)`` with an API set later: the port is bound
    /// before the backend behind it is opened (requests meanwhile get 503).
    public static func run(
        api: DeferredUsersAPI, host: String, port: Int, limits: ConnectionLimits = .init(), metrics: APIMetrics? = nil,
        logger: Logger, onReady: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let app = Application(
            responder: APIResponder(deferred: api, logger: logger, metrics: metrics),
            server: HTTPServerBuilder { responder in GuardedHTTP1Channel(responder: responder, limits: limits) },
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port),
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            onServerRunning: { channel in
                // First in the listening channel's pipeline, to see accept errors before anything else.
                let delay = limits.acceptBackoff
                try? await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoff(delay: delay, logger: logger), position: .first)
                }.get()
                await onReady(channel.localAddress?.port ?? port)
            },
            logger: logger)
        // Stopping is graceful: the calling task's cancellation becomes the group's graceful
        // shutdown (the listener closes, connections already accepted are served and closed),
        // escalated to cancellation after `gracePeriod`. Cancelling the server directly made
        // Hummingbird drop connections accepted but not yet handed over, and NIO traps on such a
        // connection's first event ("Deinited NIOAsyncWriter without calling finish()", found by
        // AddressSanitizer under load). The group runs in a task of its own, which the caller's
        // cancellation does not reach.
        var configuration = ServiceGroupConfiguration(services: [app], logger: logger)
        configuration.maximumGracefulShutdownDuration = gracePeriod
        let group = ServiceGroup(configuration: configuration)
        let running = Task { try await group.run() }
        do {
            try await withTaskCancellationHandler {
                try await running.value
            } onCancel: {
                Task { await group.triggerGracefulShutdown() }
            }
        } catch is CancellationError where Task.isCancelled {
            // Cancellation is how the server is asked to stop.
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EACCES
            || error.errnoCode == EADDRNOTAVAIL {
            throw APIServerError.cannotListen(host: host, port: port, errno: error.errnoCode)
        }
    }
}
