import Foundation
import Metrics

/// The request metrics of ``APIServer``, through swift-metrics, and what `GET /metrics` answers.
///
/// Per request: the counter `uservault_http_requests_total` (dimensions `method`, `route`,
/// `status`) and the timer `uservault_http_request_duration_seconds` (`method`, `route`). The
/// route is its template (`/users/{id}`), never the path, which holds user ids; a path no route
/// matches is `unmatched`, a method the API does not know `other`: the label values are bounded.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// let metrics = APIMetrics(factory: PrometheusMetricsFactory(registry: registry)) {
///     (contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToBuffer())
/// }
/// ```
///
/// The factory is given, not the process-wide `MetricsSystem`: servers in one process keep
/// their metrics apart.
public struct APIMetrics: Sendable {
    public static let requestsLabel = "uservault_http_requests_total"
    public static let durationLabel = "uservault_http_request_duration_seconds"
    /// The path the exposition is served at.
    public static let path = "/metrics"
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    public var factory: any MetricsFactory
    /// The exposition `GET /metrics` answers with (e.g. Prometheus text format).
    public var exposition: @Sendable () -> (contentType: String, body: [UInt8])

    public init(factory: any MetricsFactory, exposition: @escaping @Sendable () -> (contentType: String, body: [UInt8])) {
        self.factory = factory
        self.exposition = exposition
    }

    /// Counts one answered request and records how long it took.
    func record(method: String, route: String, status: Int, duration: Duration) {
        let method = Self.methods.contains(method) ? method : "other"
        Counter(label: Self.requestsLabel, dimensions: [("method", method), ("route", route), ("status", String(status))],
                factory: factory).increment()
        Metrics.Timer(label: Self.durationLabel, dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// `GET /metrics` (or `HEAD`): the exposition; another method: 405.
    func response(method: String) -> APIResponse {
        guard method == "GET" || method == "HEAD" else { return APIProblem.methodNotAllowed(allow: ["GET"]).response }
        let (contentType, body) = exposition()
        return APIResponse(status: 200, headers: [("Content-Type", contentType)], body: method == "HEAD" ? Data() : Data(body))
    }
}

extension UsersAPI {
    /// The template of the route `path` matches (`/users/{id}`), `unmatched` when none does: a
    /// label value that never holds an id.
    func routeTemplate(_ path: String) -> String {
        guard let route = Route(path: path, prefix: routingPrefix) else { return "unmatched" }
        if case .user = route { return "/users/{id}" }
        // A route with no parameter: its path, without the prefix or a trailing slash.
        var literal = path.dropFirst(routingPrefix.isEmpty || !path.hasPrefix(routingPrefix) ? 0 : routingPrefix.count)
        if literal.hasSuffix("/") { literal.removeLast() }
        return String(literal)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
