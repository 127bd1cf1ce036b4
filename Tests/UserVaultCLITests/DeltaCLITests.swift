import EmbeddedStore
import Foundation
import Testing
import TestSupport
import UserVaultCore

/// What changed since the last run, end to end on the embedded store: defects planted between
/// two runs are exactly `delta.new`; the users `backfill encrypt-plaintext --apply` fixed are
/// exactly `delta.resolved`; `--fail-when new`; a worker's report is never a baseline, the merge
/// of every worker is.
@Suite("uservault audit: the delta against the last run, end to end")
struct DeltaCLITests {
    static func delta(_ report: ReportFile) -> (baseline: String?, new: Set<String>, resolved: Set<String>, unchanged: Int?) {
        let delta = report.object["delta"] as? [String: any Sendable] ?? [:]
        return ((delta["baseline"] as? [String: any Sendable])?["runId"] as? String, Set(delta["new"] as? [String] ?? []),
                Set(delta["resolved"] as? [String] ?? []), delta["unchanged"] as? Int)
    }

    static func id(_ user: String, _ code: String) -> String { "uservault/embedded/users/\(user)/\(code)" }

    /// Plants `defects` (kind by user) with the store's own ports, as `seed --defects` does.
    static func plant(_ defects: [(DefectKind, String)], store path: String) async throws {
        let store = try EmbeddedStore(path: path)
        var generator = SeededGenerator(seed: 5)
        let planter = DefectPlanter(table: store.table, keys: store.keys)
        for (kind, user) in defects { _ = try await planter.plant(kind, userId: user, password: "a planted password", using: &generator) }
    }

    static func userIds(store path: String) async throws -> [String] {
        let store = try EmbeddedStore(path: path)
        var ids: [String] = []
        var after: String?
        repeat {
            let page = try await store.table.scan(ScanRequest(startAfter: after, limit: 100, projection: .full))
            ids += page.items.filter(\.isUser).map(\.id)
            after = page.lastEvaluatedId
        } while after != nil
        return ids.sorted()
    }

    @Test("two runs with defects planted between: delta.new is exactly them; fixed by encrypt-plaintext: delta.resolved is exactly those users; --fail-when new; workers and merges")
    func acrossRuns() async throws {
        let directory = try makeTemporaryDirectory("uservault-delta")
        defer { try? FileManager.default.removeItem(at: directory) }
        let seeded = try await runUserVault(["seed", "--users", "60", "--seed", "7", "--log-level", "warning"], in: directory)
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")
        let store = directory.appendingPathComponent(".uservault/store.sqlite").path
        let users = try await Self.userIds(store: store)
        #expect(users.count == 60)
        func audit(_ extra: [String] = [], exit expected: Set<Int32>) async throws -> (ReportFile, CLIResult) {
            let run = try await runUserVault(["audit", "--progress", "never"] + extra, in: directory)
            #expect(expected.contains(run.exitCode), "\(run.stdout) \(run.stderr)")
            return (try printedReport(run.stdout, in: directory), run)
        }

        // Night 1: a clean table, no earlier report.
        let (first, _) = try await audit(exit: [0])
        #expect(Self.delta(first).baseline == nil && Self.delta(first).new.isEmpty)
        #expect((first.object["delta"] as? [String: any Sendable])?["baseline"] is NSNull, "baseline null: nothing to compare with")

        // Defects planted; night 2: exactly they are new.
        let planted: [(DefectKind, String)] = [(.plaintextString, users[3]), (.plaintextBytes, users[11]), (.disabledKey, users[22]),
                                               (.missingCredentials, users[33]), (.randomBytes, users[44])]
        try await Self.plant(planted, store: store)
        let (second, secondRun) = try await audit(exit: [1])
        let expectedNew: Set = [Self.id(users[3], "CREDENTIALS_PLAINTEXT"), Self.id(users[11], "CREDENTIALS_PLAINTEXT"),
                                Self.id(users[22], "KEY_DISABLED"), Self.id(users[33], "CREDENTIALS_MISSING"),
                                Self.id(users[44], "NOT_KMS_CIPHERTEXT")]
        #expect(Self.delta(second).baseline == first.object["runId"] as? String)
        #expect(Self.delta(second).new == expectedNew && Self.delta(second).resolved.isEmpty && Self.delta(second).unchanged == 0)
        #expect(try await validateJSONDocuments([second.raw], schema: reportSchemaURL).isEmpty)
        #expect(secondRun.stdout.contains("since run \(first.object["runId"] as? String ?? "?"): 5 new, 0 resolved, 0 unchanged"), "\(secondRun.stdout)")
        let markdown = try String(contentsOf: second.folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("**5 new**, **0 resolved**, 0 unchanged"), "\(markdown.prefix(1200))")

        // Night 3, unchanged: --fail-when new passes while the findings are still there.
        let (third, _) = try await audit(["--fail-when", "new"], exit: [0])
        #expect(Self.delta(third).new.isEmpty && Self.delta(third).unchanged == 5)
        _ = try await audit(exit: [1])  // the same night without --fail-when new fails, as before

        // A new high finding: --fail-when new fails, naming one.
        try await Self.plant([(.disabledKey, users[55])], store: store)
        let (fourth, fourthRun) = try await audit(["--fail-when", "new"], exit: [1])
        #expect(Self.delta(fourth).new == [Self.id(users[55], "KEY_DISABLED")])
        #expect(fourthRun.stderr.contains("1 new findings at or above high"), "\(fourthRun.stderr)")
        _ = try await audit(["--fail-when", "new", "--fail-on", "high"], exit: [0])  // the next night it is not new any more

        // encrypt-plaintext fixes the two plaintext users: exactly they are resolved.
        let backfill = try await runUserVault(["backfill", "encrypt-plaintext", "--apply", "--progress", "never"], in: directory)
        #expect(backfill.exitCode == 0 && backfill.stdout.contains("2 done"), "\(backfill.stdout) \(backfill.stderr)")
        let (fifth, _) = try await audit(exit: [1])
        #expect(Self.delta(fifth).resolved == [Self.id(users[3], "CREDENTIALS_PLAINTEXT"), Self.id(users[11], "CREDENTIALS_PLAINTEXT")])
        #expect(Self.delta(fifth).new.isEmpty && Self.delta(fifth).unchanged == 4)
        let fifthIds = Set(fifth.findings.map { Self.id($0["userId"] as? String ?? "", $0["code"] as? String ?? "") })

        // A worker sees half the table: compared with night 5 it resolves nothing, though some of
        // night 5's findings are not in its report (the other half's); and it is no one's baseline.
        func ids(_ report: ReportFile) -> Set<String> {
            Set(report.findings.map { Self.id($0["userId"] as? String ?? "", $0["code"] as? String ?? "") })
        }
        var (worker, _) = try await audit(["--segments", "2", "--worker", "0/2"], exit: [0, 1])
        if ids(worker).isSuperset(of: fifthIds) {  // every finding in this half: the other half is the one without them
            (worker, _) = try await audit(["--segments", "2", "--worker", "1/2"], exit: [0, 1])
        }
        let workerIds = ids(worker)
        #expect(!fifthIds.subtracting(workerIds).isEmpty, "the other half's findings are not in the worker's report: \(workerIds)")
        #expect(Self.delta(worker).baseline == fifth.object["runId"] as? String && Self.delta(worker).resolved.isEmpty)
        #expect(Self.delta(worker).new.isEmpty)
        let (sixth, _) = try await audit(["--segments", "2"], exit: [1])
        #expect(Self.delta(sixth).baseline == fifth.object["runId"] as? String, "the worker's report is passed over")
        #expect(Self.delta(sixth).new.isEmpty && Self.delta(sixth).resolved.isEmpty && Self.delta(sixth).unchanged == 4)

        // The merge of every worker is a whole run: the next night's baseline.
        var halves: [String] = []
        for worker in ["0/2", "1/2"] {
            let name = "w\(worker.prefix(1))"
            let half = try await runUserVault(["audit", "--progress", "never", "--segments", "2", "--worker", worker, "--report-dir", name],
                                              in: directory)
            #expect([0, 1].contains(half.exitCode), "\(half.stderr)")
            halves.append(try latestReport(in: directory.appendingPathComponent(name)).folder.path)
        }
        let merge = try await runUserVault(["merge-reports", "--metrics", "emf"] + halves, in: directory)
        #expect(merge.exitCode == 1, "\(merge.stderr)")
        let merged = try printedReport(merge.stdout, in: directory)
        #expect(Self.delta(merged).baseline == sixth.object["runId"] as? String && Self.delta(merged).unchanged == 4)
        // Its metrics are the merge's (the template's nightly alarms read Job=merge-reports), the delta's among them.
        let totals = try #require(EMFDocument.all(in: merge.stdout).first { $0.dimensionSets == [["Table", "Job"]] })
        #expect(totals.string("Job") == "merge-reports" && totals.number("NewFindings") == 0 && totals.number("ResolvedFindings") == 0,
                "\(totals.object)")
        let (seventh, _) = try await audit(exit: [1])
        #expect(Self.delta(seventh).baseline == merged.object["runId"] as? String)

        // --baseline PATH compares with that report; a worker's is refused; none: no delta.
        let (chosen, _) = try await audit(["--baseline", second.folder.path], exit: [1])
        #expect(Self.delta(chosen).baseline == second.object["runId"] as? String)
        #expect(Self.delta(chosen).resolved == [Self.id(users[3], "CREDENTIALS_PLAINTEXT"), Self.id(users[11], "CREDENTIALS_PLAINTEXT")])
        let refused = try await runUserVault(["audit", "--progress", "never", "--baseline", worker.folder.path + "/report.json"], in: directory)
        #expect(refused.exitCode == 2 && refused.stderr.contains("cannot be this audit's baseline: it is one --worker's share"), "\(refused.stderr)")
        let (none, _) = try await audit(["--baseline", "none"], exit: [1])
        #expect(none.object["delta"] == nil)
        let conflicting = try await runUserVault(["audit", "--baseline", "none", "--fail-when", "new"], in: directory)
        #expect(conflicting.exitCode == 2 && conflicting.stderr.contains("--fail-when new"), "\(conflicting.stderr)")
    }
}
