import ArgumentParser
import Foundation
import HTTPAPI
import JobExecution
import Logging
import UserVaultCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the JSON:API users API over HTTP (the same handlers as the Lambda).",
        discussion: """
            POST /users, GET /users?page[size]=N&page[after]=CURSOR&filter[email]=E, GET /users/{id}; \
            GET /openapi.json is the API's OpenAPI 3.1 document (openapi.yaml).
            Stops cleanly on SIGINT or SIGTERM. --port 0 picks a free port; the first line on \
            stdout says where it listens. The port is bound before the store is opened: a port \
            in use leaves the store untouched.

            Connections: one idle for --idle-timeout seconds is closed; one whose request headers \
            take over --header-timeout seconds is closed; past --max-connections, new connections \
            wait in the listen backlog; when accept(2) runs out of descriptors, accepting pauses \
            for a second.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port: Int = 8080

    @Option(name: .customLong("idle-timeout"),
            help: "Seconds a connection may stay idle (no request in progress) before it is closed.")
    var idleTimeout: Double = ConnectionLimits.defaultIdleTimeout.inSeconds

    @Option(name: .customLong("header-timeout"),
            help: "Seconds a request's headers may take to arrive, from their first byte (or from the connection).")
    var headerTimeout: Double = ConnectionLimits.defaultHeaderTimeout.inSeconds

    @Option(name: .customLong("max-connections"),
            help: "Open connections at most (default: the descriptor limit, ulimit -n, less a quarter and at least 64; a larger value is capped at the limit less an eighth and at least 32: a process out of descriptors is killed).")
    var maxConnections: Int?

    @Option(help: ServerMetricsFormat.help)
    var metrics: ServerMetricsFormat = .none

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
        guard idleTimeout > 0, idleTimeout.isFinite else { throw ValidationError("--idle-timeout must be a positive number of seconds") }
        guard headerTimeout > 0, headerTimeout.isFinite else {
            throw ValidationError("--header-timeout must be a positive number of seconds")
        }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
    }

    var limits: ConnectionLimits {
        ConnectionLimits(idleTimeout: .seconds(idleTimeout), headerTimeout: .seconds(headerTimeout),
                         maxConnections: maxConnections)
    }

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        let logger = Logger(label: "uservault.api")
        let api = DeferredUsersAPI()
        let (host, port, limits, metrics) = (self.host, self.port, self.limits, self.metrics.apiMetrics())
        if let maxConnections, maxConnections > limits.maxConnections {
            logger.warning("--max-connections is above what the descriptor limit allows: capped",
                           metadata: ["requested": "\(maxConnections)", "held": "\(limits.maxConnections)",
                                      "descriptorLimit": "\(ConnectionLimits.descriptorLimit().map(String.init) ?? "unknown")"])
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (bound, boundContinuation) = AsyncStream.makeStream(of: Int.self)
            group.addTask {
                defer { boundContinuation.finish() }
                do {
                    try await APIServer.run(api: api, host: host, port: port, limits: limits, metrics: metrics, logger: logger) {
                        boundContinuation.yield($0)
                    }
                } catch let error as APIServerError {
                    throw JobExit.failure(error.description)
                }
            }
            defer { group.cancelAll() }
            var ports = bound.makeAsyncIterator()
            guard let boundPort = await ports.next() else {
                try await group.next()  // the server's error: it could not bind
                return
            }
            // Bound: only now open the backend (an embedded store may be created or migrated).
            try await Backend.with(settings, logger: logger) { backend in
                api.set(UsersAPI(service: backend.service))
                let line = "UserVault API listening on http://\(host):\(boundPort) (\(backend.location))\n"
                FileHandle.standardOutput.write(Data(line.utf8))
                group.addTask {
                    if let signal = await SignalWaiter.wait(for: [SIGINT, SIGTERM]) {
                        logger.notice("stopping", metadata: ["signal": "\(signal)"])
                    }
                }
                // Whichever ends first (a signal, or the server failing) ends the other; requests
                // in flight finish before the backend closes.
                try await group.next()
                group.cancelAll()
                try await group.waitForAll()
            }
        }
    }
}
