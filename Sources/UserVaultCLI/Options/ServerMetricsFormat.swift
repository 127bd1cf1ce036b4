import ArgumentParser
import HTTPAPI
import Prometheus

/// `serve --metrics`: the request metrics the server exposes.
enum ServerMetricsFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case none
    /// `GET /metrics` in Prometheus text format, on the API's own listener.
    case prometheus

    static let help = ArgumentHelp("prometheus: count and time every request (by method, route template and status; never a path, which holds user ids) and answer GET /metrics in Prometheus text format on the API's own address and port. none: no metrics, and /metrics is 404.")

    /// The server's metrics: a registry of this server's own (not the process-wide `MetricsSystem`).
    func apiMetrics() -> APIMetrics? {
        guard self == .prometheus else { return nil }
        let registry = PrometheusCollectorRegistry()
        return APIMetrics(factory: PrometheusMetricsFactory(registry: registry)) {
            (contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToBuffer())
        }
    }
}
