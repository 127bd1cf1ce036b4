import Foundation
import Testing
import TestSupport

/// An endpoint where nothing listens, as a new user with a wrong `--endpoint-url` meets it: the
/// client's own attempts, then the run ends with one line naming the endpoint — no page retries
/// on top, no second round of DescribeTable.
@Suite("A refused endpoint fails at once")
struct UnreachableEndpointTests {
    static let commands: [(name: String, arguments: [String])] = [
        ("audit", ["audit", "--progress", "never"]),
        ("export", ["export", "--output", "users.tar.gz", "--progress", "never"]),
        ("repair", ["backfill", "email-guards", "--progress", "never"]),
    ]

    /// Static credentials and no metadata service: the only address the run may try is the endpoint.
    static func environment(port: Int) -> [String: String] {
        ["USERVAULT_BACKEND": "aws", "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)", "AWS_REGION": "us-east-1",
         "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true"]
    }

    @Test("audit, export and a repair: exit 2, one line naming the endpoint, after exactly the client's 3 attempts",
          arguments: commands.map(\.name))
    func failsAfterTheClientsAttempts(command: String) async throws {
        let arguments = try #require(Self.commands.first { $0.name == command }).arguments
        // Outside the kernel's ephemeral range and moto's: no server of another test can take it.
        let port = try freeLoopbackPort(in: 10_000..<20_000)
        let directory = try makeTemporaryDirectory("uservault-unreachable")
        defer { try? FileManager.default.removeItem(at: directory) }
        let started = ContinuousClock.now
        async let plain = runUserVault(arguments, environment: Self.environment(port: port), in: directory)
        async let traced = runUserVault(arguments + ["--log-level", "debug", "--log-format", "json"],
                                        environment: Self.environment(port: port), in: directory)
        let (result, debug) = try await (plain, traced)
        // Reported, never asserted: wall time depends on the machine.
        print("\(command) against a closed port: exit \(result.exitCode) after \(ContinuousClock.now - started) (two runs side by side)")

        #expect(result.exitCode == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:\(port)"), "names the endpoint: \(result.stderr)")
        #expect(result.stderr.contains("connection refused"), "\(result.stderr)")
        #expect(result.stdout.isEmpty, "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("users.tar.gz").path))

        // The attempts, counted where they happen: the client logs each retry it makes.
        #expect(debug.exitCode == 2)
        let records = debug.stderr.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let retries = records.filter { $0["message"] as? String == "retrying" }
        #expect(retries.count == 2, "3 attempts of one request: \(retries)")
        #expect(retries.allSatisfy { ($0["operation"] as? String) == "DescribeTable" }, "\(retries)")
        #expect(!debug.stderr.contains("tried again"), "no page retry: \(debug.stderr)")
        let errorLine = debug.stderr.split(separator: "\n").filter { $0.hasPrefix("uservault: error:") }
        #expect(errorLine.count == 1 && errorLine.first?.contains("after 3 attempts") == true, "\(debug.stderr)")
    }
}
