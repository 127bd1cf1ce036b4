import Foundation
import Testing
import TestSupport

/// Two `--worker I/2` processes share one account's KMS quota (the latency fixture enforces it
/// over all its clients and counts each client's requests): neither goes over its share, nothing
/// is throttled, and their reports merge to the single run's.
@Suite("Workers share the account's KMS quota")
struct QuotaShareTests {
    /// The job's share of the account: 0.008 of the default 5,500/s cryptographic quota = 44/s,
    /// so 22/s for each of two workers; the fixture's account allows 55/s (0.01 of the default).
    static let share = "0.008"
    static let perWorker = 22.0
    static let jitter = perWorker

    /// The most requests any stretch of the arrivals holds beyond what `rate` per second, with a
    /// bucket of one second's worth, allows: > 0 means the arrivals went over the budget.
    ///
    /// Arrivals are sends plus a delay (the network stack, two busy cores): a request held back
    /// while later ones get through makes a stretch look denser than the sends were, by `rate`
    /// times the longest such delay. `jitter` allows a second of it (half a second was exceeded
    /// once, by 0.9 requests, in a full test run on two cores); a worker that took its whole
    /// share twice over would be about `rate` × the run's length (over 150) requests over.
    static func excess(_ arrivals: [Double], rate: Double) -> Double {
        var worst = -Double.infinity
        for first in arrivals.indices {
            for last in first..<arrivals.count {
                let allowed = rate * (arrivals[last] - arrivals[first]) / 1000 + rate
                worst = max(worst, Double(last - first + 1) - allowed)
            }
        }
        return worst
    }

    @Test("two workers at once: each within its share of the quota, zero throttled; merged, the single run's report")
    func twoWorkers() async throws {
        let directory = try makeTemporaryDirectory("uservault-quota")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try await LatencyFixtureProcess.start(["400", "20", "1000", "--defects", "0.1",
                                                             "--quota", "Cryptographic=55", "--record-arrivals"])
        defer { fixture.stop() }
        func environment(_ client: String) -> [String: String] {
            ["AWS_ACCESS_KEY_ID": client, "AWS_SECRET_ACCESS_KEY": "fixture", "AWS_REGION": "us-east-1",
             "AWS_ENDPOINT_URL": fixture.endpoint.absoluteString, "AWS_EC2_METADATA_DISABLED": "true"]
        }
        let audit = ["--backend", "aws", "audit", "--progress", "never", "--key-state", "proof", "--segments", "4",
                     "--kms-share", Self.share]
        async let first = runUserVault(audit + ["--worker", "0/2", "--report-dir", "w0"], environment: environment("AKIDWORKER0"),
                                       in: directory)
        async let second = runUserVault(audit + ["--worker", "1/2", "--report-dir", "w1"], environment: environment("AKIDWORKER1"),
                                        in: directory)
        let workers = try await [first, second]
        for worker in workers { #expect(worker.exitCode == 1, "planted key defects are findings: \(worker.stderr)") }

        let statistics = try await fixture.statistics()
        #expect(statistics.throttled == 0, "the workers kept under the account's quota together")
        for client in ["AKIDWORKER0", "AKIDWORKER1"] {
            let counted = try #require(statistics.clients[client], "\(statistics.clients.keys)")
            let arrivals = counted.arrivals["Cryptographic"] ?? []
            #expect(arrivals.count >= 150, "\(client) audited its half: \(arrivals.count) ReEncrypts")
            let excess = Self.excess(arrivals, rate: Self.perWorker)
            #expect(excess <= Self.jitter, "\(client) went \(excess) requests over its share of \(Self.perWorker)/s")
        }

        let whole = try await runUserVault(audit + ["--report-dir", "whole"], environment: environment("AKIDWHOLE"), in: directory)
        #expect(whole.exitCode == 1, "\(whole.stderr)")
        let folders = try ["w0", "w1"].map { try latestReport(in: directory.appendingPathComponent($0)).folder.path }
        let merged = try await runUserVault(["merge-reports"] + folders + ["--report-dir", "merged"], in: directory)
        #expect(merged.exitCode == 1, "\(merged.stderr)")
        let single = try latestReport(in: directory.appendingPathComponent("whole"))
        let combined = try latestReport(in: directory.appendingPathComponent("merged"))
        #expect(combined.findingsJSON == single.findingsJSON)
        for counter in ["users", "scanned", "verified"] { #expect(combined.int(counter) == single.int(counter), "\(counter)") }
        #expect(single.int("users") == 400)
    }

    @Test("a budget above what the account allows: throttled answers slow the job down, and it finishes")
    func throttlingSlowsDown() async throws {
        let directory = try makeTemporaryDirectory("uservault-throttled")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The job may use 44 ReEncrypts/s; the account allows 30/s (production took the rest).
        let fixture = try await LatencyFixtureProcess.start(["300", "20", "1000", "--defects", "0.1", "--quota", "Cryptographic=30"])
        defer { fixture.stop() }
        let result = try await runUserVault(
            ["--backend", "aws", "audit", "--progress", "never", "--key-state", "proof", "--segments", "2", "--kms-share", Self.share,
             "--report-dir", "r"],
            environment: ["AWS_ACCESS_KEY_ID": "AKIDALONE", "AWS_SECRET_ACCESS_KEY": "fixture", "AWS_REGION": "us-east-1",
                          "AWS_ENDPOINT_URL": fixture.endpoint.absoluteString, "AWS_EC2_METADATA_DISABLED": "true"],
            in: directory)
        #expect(result.exitCode == 1, "complete, with the planted findings: \(result.stderr)")
        let report = try latestReport(in: directory.appendingPathComponent("r"))
        #expect(report.complete == true && report.int("users") == 300)
        let statistics = try await fixture.statistics()
        let sent = statistics.clients["AKIDALONE"]?.requests["Cryptographic"] ?? 0
        // Unadapted, 44/s against 30/s would see about a third throttled; adapted, a few percent
        // (up to 10.6% seen on a busy machine, where the pace itself is uneven).
        #expect(statistics.throttled * 5 <= sent, "throttled \(statistics.throttled) of \(sent): the budget came down to the quota")
    }
}
