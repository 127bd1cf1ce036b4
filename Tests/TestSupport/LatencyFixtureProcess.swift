import AWSClients
import Foundation

/// `uservault-bench latency-fixture` (the benchmarks' stand-in for DynamoDB and KMS with AWS's
/// latencies, key states and account quotas) as a child process on a loopback port, for tests
/// that need an *account*: several worker processes sharing its quotas.
///
/// ```swift
/// let fixture = try await LatencyFixtureProcess.start(["400", "20", "1000", "--quota", "Cryptographic=55"])
/// defer { fixture.stop() }
/// let statistics = try await fixture.statistics()   // GET /_fixture/stats
/// ```
public final class LatencyFixtureProcess: Sendable {
    public let endpoint: URL
    private let process: SpawnedProcess

    private init(endpoint: URL, process: SpawnedProcess) {
        self.endpoint = endpoint
        self.process = process
    }

    /// The benchmark binary, built beside `uservault`.
    public static var binary: URL { userVaultBinary.deletingLastPathComponent().appendingPathComponent("uservault-bench") }

    /// Starts `uservault-bench latency-fixture ARGUMENTS` and waits for its `endpoint URL` line.
    public static func start(_ arguments: [String]) async throws -> LatencyFixtureProcess {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("latency-fixture-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = SpawnedProcess()
        process.executableURL = binary
        process.arguments = ["latency-fixture"] + arguments
        process.environment = childEnvironment(ProcessInfo.processInfo.environment)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: output)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<600.scaledForTestRun {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("endpoint ") }),
               let endpoint = URL(string: String(line.dropFirst("endpoint ".count))) {
                return LatencyFixtureProcess(endpoint: endpoint, process: process)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { process.terminate() }
        throw LoopbackError(description: "the latency fixture did not start: \((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
    }

    /// What the fixture counted, from `GET /_fixture/stats`.
    public struct Statistics: Decodable, Sendable {
        public struct Client: Decodable, Sendable {
            public var requests: [String: Int]
            public var throttled: [String: Int]
            /// Milliseconds since the fixture started, per quota, in order of arrival.
            public var arrivals: [String: [Double]]
        }

        public var throttled: Int
        /// By access key id.
        public var clients: [String: Client]
    }

    public func statistics() async throws -> Statistics {
        let client = LoopbackClient(port: endpoint.port ?? 0)
        defer { client.invalidate() }
        let response = try await client.send("GET", "/_fixture/stats")
        return try JSONDecoder().decode(Statistics.self, from: response.body)
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
