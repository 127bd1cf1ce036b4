import Foundation
import Testing
import TestSupport

/// `serve --metrics prometheus`: request metrics at GET /metrics, off by default.
@Suite("uservault serve: Prometheus metrics")
struct ServeMetricsTests {
    static let requests = "uservault_http_requests_total"
    static let duration = "uservault_http_request_duration_seconds"

    @Test("after N requests GET /metrics counts them by method, route template and status (never an id) and times them; without --metrics /metrics is 404")
    func prometheus() async throws {
        let directory = try makeTemporaryDirectory("uservault-serve-metrics")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["USERVAULT_STORE": "s.sqlite"]
        #expect(try await runUserVault(["init"], environment: environment, in: directory).exitCode == 0)
        let unknownId = UUID().uuidString.lowercased()
        let (samples, exitCode, stderr) = try await withServedUserVault(["--metrics", "prometheus"], environment: environment,
                                                                        in: directory) { client in
            for _ in 0..<3 { #expect(try await client.send("GET", "/users").status == 200) }
            for _ in 0..<2 { #expect(try await client.send("GET", "/users/\(unknownId)").status == 404) }
            #expect(try await client.send("GET", "/no-such-route/\(unknownId)").status == 404)
            #expect(try await client.send("DELETE", "/users").status == 405)
            #expect(try await client.send("POST", "/metrics").status == 405)
            let exposition = try await client.send("GET", "/metrics")
            #expect(exposition.status == 200)
            #expect(exposition.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(!exposition.text.contains(unknownId), "a label never holds a path's id")
            return try PrometheusSample.parse(exposition.text)
        }
        #expect(exitCode == 0, "\(stderr)")
        #expect(samples.value(Self.requests, ["method": "GET", "route": "/users", "status": "200"]) == 3, "\(samples)")
        #expect(samples.value(Self.requests, ["method": "GET", "route": "/users/{id}", "status": "404"]) == 2)
        #expect(samples.value(Self.requests, ["method": "GET", "route": "unmatched", "status": "404"]) == 1)
        #expect(samples.value(Self.requests, ["method": "DELETE", "route": "/users", "status": "405"]) == 1)
        #expect(samples.value(Self.requests, ["method": "POST", "route": "/metrics", "status": "405"]) == 1)
        #expect(samples.value(Self.duration + "_count", ["method": "GET", "route": "/users"]) == 3)
        #expect(samples.value(Self.duration + "_bucket", ["method": "GET", "route": "/users", "le": "+Inf"]) == 3)
        #expect((samples.value(Self.duration + "_sum", ["method": "GET", "route": "/users"]) ?? 0) > 0)

        let (off, _, _) = try await withServedUserVault([], environment: environment, in: directory) { client in
            try await client.send("GET", "/metrics").status
        }
        #expect(off == 404, "off by default")
    }
}
