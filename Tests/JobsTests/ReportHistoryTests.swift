import Foundation
@testable import Jobs
import Testing
import TestSupport
import UserVaultCore

/// ``ReportHistory`` over a local report folder: the earlier runs newest first, and the baseline
/// an audit compares itself with (never a partial or a worker's report).
@Suite("Report history")
struct ReportHistoryTests {
    @Test("the newest complete whole-table report of the same table and depth is the baseline; partial, worker, other table and depth are passed over")
    func baseline() async throws {
        let directory = try makeTemporaryDirectory("history")
        defer { try? FileManager.default.removeItem(at: directory) }
        let finding = Finding(.credentialsPlaintext, userId: "u1", detail: "readable")
        func write(_ runId: String, hour: Int, _ change: (inout JobReport) -> Void = { _ in }) throws {
            var report = ReportReviewTests.report([finding], runId: runId, startedAt: String(format: "2026-12-0%dT02:00:00.000Z", hour))
            change(&report)
            try ReportWriter.write(report, to: directory)
        }
        try write("night-1", hour: 1)
        try write("night-2", hour: 2) { $0.findings = [] }
        try write("worker", hour: 3) { $0.segments = .init(total: 4, worker: "1/2", assigned: 2, finished: 2) }
        try write("partial", hour: 4) { $0.complete = false; $0.segments.finished = 3 }
        try write("eu", hour: 5) { $0.table = "users-eu" }
        try write("deep", hour: 6) { $0.parameters["depth"] = "deep" }
        try write("aws", hour: 7) { $0.backend = "aws" }
        // A run still writing (no report.json yet) and a stray file are passed over.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("audit/20261208T020000-writing"),
                                                withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: directory.appendingPathComponent("audit/.DS_Store").path, contents: Data())

        let history = ReportHistory(store: LocalReportStore(directory: directory))
        let baseline = try await history.baseline(backend: "embedded", table: "users", depth: "standard", excluding: "current")
        #expect(baseline?.runId == "night-2")
        #expect(try await history.baseline(backend: "embedded", table: "users", depth: "standard", excluding: "night-2")?.runId == "night-1",
                "never the run's own report")
        #expect(try await history.baseline(backend: "embedded", table: "users", depth: "deep", excluding: nil)?.runId == "deep")
        #expect(try await history.baseline(backend: "embedded", table: "nobody", depth: "standard", excluding: nil) == nil)
        #expect(try await ReportHistory(store: LocalReportStore(directory: directory.appendingPathComponent("none")))
            .baseline(backend: "embedded", table: "users", depth: "standard", excluding: nil) == nil, "no folder yet: no baseline")

        let entries = try await history.entries(limit: 30)
        #expect(entries.map(\.runId) == ["aws", "deep", "eu", "partial", "worker", "night-2", "night-1"], "newest first")
        #expect(entries.first { $0.runId == "night-1" }?.findings == 1 && entries.first { $0.runId == "night-2" }?.findings == 0)
        #expect(entries.first { $0.runId == "worker" }?.wholeTable == false && entries.first { $0.runId == "partial" }?.complete == false)
        #expect(try await history.entries(limit: 2).map(\.runId) == ["aws", "deep"])
        let mine = try await history.entries { $0.table == "users" && $0.backend == "embedded" && $0.wholeTable }
        #expect(mine.map(\.runId) == ["deep", "night-2", "night-1"])
        #expect(mine.last?.location == directory.appendingPathComponent("audit").path + "/" + "20261201T020000-night-1")
    }

    @Test("an entry counts unaccepted and accepted findings, and the delta's new and resolved")
    func entryCounts() throws {
        var report = ReportReviewTests.report([
            Finding(.keyDisabled, userId: "u1", detail: "disabled", suppressed: .init(rule: "r", reason: "accepted for a test", owner: "me", expires: "2027-01-01")),
            Finding(.credentialsPlaintext, userId: "u2", detail: "readable"),
        ])
        report.delta = ReportDelta(baseline: nil, new: ["a", "b"], resolved: ["c"], unchanged: 0)
        let entry = ReportHistory.Entry(report: report, location: "here")
        #expect(entry.findings == 1 && entry.accepted == 1 && entry.newFindings == 2 && entry.resolvedFindings == 1)
        #expect(entry.depth == "standard" && entry.wholeTable && entry.location == "here")
    }
}
