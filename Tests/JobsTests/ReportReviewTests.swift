import Foundation
@testable import Jobs
import Testing
import TestSupport
import UserVaultCore

/// The review of a report: suppressions marked, the delta against a baseline, what fails the run,
/// and how report.json, report.md, OCSF and EMF show it.
@Suite("Report review")
struct ReportReviewTests {
    static let today = CalendarDay("2026-12-06")!

    /// An audit's report of table `users` on the embedded store.
    static func report(_ findings: [Finding], runId: String = UUID().uuidString.lowercased(), complete: Bool = true,
                       worker: String = "0/1", assigned: Int = 4, finished: Int = 4, table: String = "users",
                       depth: String = "standard", startedAt: String = "2026-12-06T02:00:00.000Z") -> JobReport {
        JobReport(runId: runId, job: "audit", backend: "embedded", table: table, startedAt: startedAt,
                  finishedAt: startedAt.replacingOccurrences(of: "02:00:00", with: "02:10:00"), complete: complete,
                  parameters: ["depth": depth, "failOn": "high"], segments: .init(total: 4, worker: worker, assigned: assigned, finished: finished),
                  scanned: 100, users: 50, verified: 50 - findings.count, findings: findings, summary: JobReport.summary(of: findings),
                  stats: .init())
    }

    static let disabled = Finding(.keyDisabled, userId: "u1", keyId: "k1", detail: "the key is disabled")
    static let plaintext = Finding(.credentialsPlaintext, userId: "u2", detail: "a readable password")
    static let rotation = Finding(.keyRotationDisabled, userId: "u3", keyId: "k3", detail: "rotation is off")
    static let orphan = Finding(.orphanKey, userId: nil, keyId: "k9", detail: "no user references it")

    static func rules(_ text: String) throws -> Suppressions {
        try SuppressionsFile.parse("rules:\n" + text, source: "accepted.yaml", today: today)
    }

    static let acceptDisabled = """
          - id: u1-key
            codes: [KEY_DISABLED]
            users: [u1]
            reason: The owner is on leave; the key is re-enabled on return (HR-77).
            owner: security@example.com
            expires: 2026-12-31
          - id: gone-user
            codes: [CREDENTIALS_MISSING]
            users: [u-gone]
            reason: The user left; the record is deleted with the next purge.
            owner: security@example.com
            expires: 2027-06-30
          - id: other-table
            codes: [KEY_DISABLED]
            table: users-eu
            reason: Another table's acceptance, in the same file.
            owner: security@example.com
            expires: 2026-12-08
        """

    @Test("suppressions: accepted findings marked with their rule, counted; stale and ending rules named; other tables' rules left out")
    func suppressions() throws {
        let report = Self.report([Self.disabled, Self.plaintext])
        let reviewed = ReportReview(suppressions: try Self.rules(Self.acceptDisabled), today: Self.today).apply(to: report)
        #expect(reviewed.findings.first { $0.code == .keyDisabled }?.suppressed
            == Suppression(rule: "u1-key", reason: "The owner is on leave; the key is re-enabled on return (HR-77).",
                           owner: "security@example.com", expires: "2026-12-31"))
        #expect(reviewed.findings.first { $0.code == .credentialsPlaintext }?.suppressed == nil)
        #expect(reviewed.acceptedFindings.count == 1 && reviewed.findings.count == 2, "accepted findings stay")
        let summary = try #require(reviewed.suppressions)
        #expect(summary == SuppressionsSummary(source: "accepted.yaml", rules: 3, accepted: 1, expired: [], expiringSoon: [],
                                               stale: ["gone-user"]))
        #expect(reviewed.delta == nil, "no comparison asked for")

        // A worker's share cannot say a rule matched nothing: no stale rules.
        let worker = ReportReview(suppressions: try Self.rules(Self.acceptDisabled), today: Self.today)
            .apply(to: Self.report([Self.disabled], worker: "0/2", assigned: 2, finished: 2))
        #expect(worker.suppressions?.stale == [])
        // A rule for what only a deep audit finds is not stale after a standard one.
        let orphans = try Self.rules("""
              - id: kept-keys
                codes: [ORPHAN_KEY]
                keys: [k9]
                reason: Kept for the restore drill until March.
                owner: platform
                expires: 2027-03-01
            """)
        #expect(ReportReview(suppressions: orphans, today: Self.today).apply(to: report).suppressions?.stale == [])
        #expect(ReportReview(suppressions: orphans, today: Self.today).apply(to: Self.report([], depth: "deep")).suppressions?.stale
            == ["kept-keys"])
        // Ending soon: u1-key ends within 14 days of the 20th.
        let later = ReportReview(suppressions: try Self.rules(Self.acceptDisabled), today: CalendarDay("2026-12-20")!).apply(to: report)
        #expect(later.suppressions?.expiringSoon == [.init(rule: "u1-key", expires: "2026-12-31")])
    }

    @Test("an expired rule accepts nothing: its finding counts again and the rule is named")
    func expired() throws {
        let rules = try Self.rules(Self.acceptDisabled)
        let after = ReportReview(suppressions: rules, today: CalendarDay("2027-01-01")!).apply(to: Self.report([Self.disabled]))
        #expect(after.acceptedFindings.isEmpty && after.suppressions?.expired == ["u1-key"])
        #expect(after.failing(atOrAbove: .high, when: .any).map(\.code) == [.keyDisabled])
        #expect(after.suppressions?.stale == ["gone-user"], "an expired rule is expired, not stale")
    }

    @Test("failing: accepted findings never count; with new, only findings new or reopened since the baseline")
    func failing() throws {
        let rules = try Self.rules(Self.acceptDisabled)
        let baseline = ReportReview(today: Self.today).apply(to: Self.report([Self.plaintext, Self.disabled]))
        let report = Self.report([Self.disabled, Self.plaintext, Self.rotation])
        let reviewed = ReportReview(suppressions: rules, comparison: .with(baseline), today: Self.today).apply(to: report)
        #expect(reviewed.failing(atOrAbove: .high, when: .any).map(\.code) == [.credentialsPlaintext], "the accepted KEY_DISABLED does not count")
        #expect(reviewed.failing(atOrAbove: .medium, when: .any).map(\.code).sorted { $0.rawValue < $1.rawValue }
            == [.credentialsPlaintext, .keyRotationDisabled])
        #expect(reviewed.failing(atOrAbove: .high, when: .new).isEmpty, "the plaintext finding is not new")
        #expect(reviewed.failing(atOrAbove: .medium, when: .new).map(\.code) == [.keyRotationDisabled])

        // The next night the rule has expired: the finding was accepted in the baseline and is not now.
        let next = ReportReview(suppressions: rules, comparison: .with(reviewed), today: CalendarDay("2027-01-02")!).apply(to: report)
        #expect(next.delta?.reopened == [next.findingId(Self.disabled)] && next.delta?.new == [])
        #expect(next.failing(atOrAbove: .high, when: .new).map(\.code) == [.keyDisabled], "an acceptance that ended needs attention again")
        // Without a delta there is nothing to call new: every unaccepted finding counts.
        #expect(Self.report([Self.plaintext]).failing(atOrAbove: .high, when: .new).count == 1)
    }

    @Test("delta: new, resolved and unchanged by finding id; no baseline: all new; a partial or worker run resolves nothing")
    func delta() throws {
        let baseline = Self.report([Self.disabled, Self.plaintext, Self.orphan], runId: "before")
        let report = Self.report([Self.plaintext, Self.rotation], runId: "after")
        let delta = ReportDelta.between(report, and: baseline)
        #expect(delta.baseline == .init(runId: "before", finished: "2026-12-06T02:10:00.000Z"))
        #expect(delta.new == ["uservault/embedded/users/u3/KEY_ROTATION_DISABLED"])
        #expect(delta.resolved == ["uservault/embedded/users/k9/ORPHAN_KEY", "uservault/embedded/users/u1/KEY_DISABLED"])
        #expect(delta.unchanged == 1 && delta.reopened == [])
        #expect(delta.new == [OCSFFindings.findingUID(Self.rotation, backend: "embedded", table: "users")], "the OCSF uid, nothing else")

        let first = ReportDelta.between(report, and: nil)
        #expect(first.baseline == nil && first.new.count == 2 && first.resolved.isEmpty && first.unchanged == 0)
        let partial = ReportDelta.between(Self.report([Self.plaintext], complete: false, finished: 2), and: baseline)
        #expect(partial.resolved.isEmpty && partial.unchanged == 1)
        let worker = ReportDelta.between(Self.report([], worker: "1/2", assigned: 2, finished: 2), and: baseline)
        #expect(worker.resolved.isEmpty)
        #expect(ReportDelta.parts(of: delta.resolved[0], prefix: "uservault/embedded/users/") == ("k9", "ORPHAN_KEY"))
        #expect(ReportDelta.parts(of: "uservault/aws/users/arn:aws:kms:r:1:key/abc/ORPHAN_KEY", prefix: "uservault/aws/users/")
            == ("arn:aws:kms:r:1:key/abc", "ORPHAN_KEY"))
    }

    @Test("report.json: baseline null written out, delta and suppressions round-trip, an old report without them still reads")
    func json() throws {
        var report = ReportReview(suppressions: try Self.rules(Self.acceptDisabled), comparison: .with(nil), today: Self.today)
            .apply(to: Self.report([Self.disabled]))
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let delta = try #require(object["delta"] as? [String: Any])
        #expect(delta.keys.contains("baseline") && delta["baseline"] is NSNull, "null, not absent: no earlier report")
        #expect((object["findings"] as? [[String: Any]])?.first?["suppressed"] as? [String: String]
            == ["rule": "u1-key", "reason": "The owner is on leave; the key is re-enabled on return (HR-77).",
                "owner": "security@example.com", "expires": "2026-12-31"])
        let decoded = try JSONDecoder().decode(JobReport.self, from: data)
        #expect(decoded.delta == report.delta && decoded.suppressions == report.suppressions && decoded.findings == report.findings)
        report.delta = nil
        report.suppressions = nil
        let plain = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any]
        #expect(plain?["delta"] == nil && plain?["suppressions"] == nil, "absent with --baseline none and without a file")
    }

    @Test("a baseline is an audit of the same backend, table and depth, complete over every segment")
    func baselineRules() {
        func why(_ report: JobReport) -> String? {
            ReportReview.unsuitableBaseline(report, backend: "embedded", table: "users", depth: "standard")
        }
        #expect(why(Self.report([])) == nil)
        #expect(why(Self.report([], complete: false, finished: 3))?.contains("partial") == true)
        #expect(why(Self.report([], worker: "0/2", assigned: 2, finished: 2))?.contains("--worker") == true)
        #expect(why(Self.report([], table: "users-eu"))?.contains("of table 'users-eu'") == true)
        #expect(why(Self.report([], depth: "deep"))?.contains("deep-depth") == true)
        var repair = Self.report([])
        repair.job = "backfill"
        #expect(why(repair)?.contains("backfill report") == true)
    }

    @Test("OCSF: an accepted finding is status_id 3 (Suppressed) with the reason in comment, valid for py-ocsf-models")
    func ocsf() async throws {
        let reviewed = ReportReview(suppressions: try Self.rules(Self.acceptDisabled), today: Self.today)
            .apply(to: Self.report([Self.disabled, Self.plaintext]))
        let directory = try makeTemporaryDirectory("ocsf-suppressed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try ReportWriter.write(reviewed, to: directory).appendingPathComponent(OCSFFindings.fileName)
        let events = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]])
        let byCode = Dictionary(uniqueKeysWithValues: events.map { ($0["metadata"].flatMap { ($0 as? [String: Any])?["event_code"] as? String } ?? "", $0) })
        let accepted = try #require(byCode["KEY_DISABLED"])
        #expect(accepted["status_id"] as? Int == 3 && accepted["status"] as? String == "Suppressed")
        #expect(accepted["comment"] as? String == "The owner is on leave; the key is re-enabled on return (HR-77).")
        #expect(accepted["status_detail"] as? String == "accepted by security@example.com until 2026-12-31 (rule u1-key)")
        let open = try #require(byCode["CREDENTIALS_PLAINTEXT"])
        #expect(open["status_id"] as? Int == 1 && open["comment"] == nil)
        let validation = try await validateOCSFFindings([file])
        #expect(validation.problems.isEmpty && validation.events == 2, "\(validation.problems)")
    }

    @Test("EMF: Suppressed, NewFindings and ResolvedFindings on the totals line; the Job dimension is the job that ran")
    func emf() throws {
        let baseline = Self.report([Self.plaintext, Self.orphan])
        let reviewed = ReportReview(suppressions: try Self.rules(Self.acceptDisabled), comparison: .with(baseline), today: Self.today)
            .apply(to: Self.report([Self.disabled, Self.plaintext, Self.rotation]))
        let lines = EMFMetrics.lines(for: reviewed, job: "merge-reports", at: Date(timeIntervalSince1970: 0))
        let documents = EMFDocument.all(in: lines.joined(separator: "\n"))
        let total = try #require(documents.first)
        #expect(documents.allSatisfy { $0.problems.isEmpty && $0.string("Job") == "merge-reports" })
        #expect(total.number("Suppressed") == 1 && total.number("Findings") == 3)
        #expect(total.number("NewFindings") == 1, "u3's rotation finding; u1's is new but accepted")
        #expect(total.number("ResolvedFindings") == 1)
        let unreviewed = EMFDocument.all(in: EMFMetrics.lines(for: Self.report([Self.plaintext]), at: Date()).joined(separator: "\n"))
        #expect(unreviewed.first?.number("Suppressed") == 0 && unreviewed.first?.number("NewFindings") == nil, "no delta: no NewFindings")
        let repair = EMFDocument.all(in: EMFMetrics.lines(for: Self.report([]), job: "backfill", at: Date()).joined(separator: "\n"))
        #expect(repair.count == 1 && repair.first?.number("Suppressed") == nil, "only the jobs that find")
    }

    @Test("report.md opens with what changed, and lists accepted findings in a section of their own")
    func markdown() throws {
        let baseline = Self.report([Self.plaintext, Self.orphan], runId: "night-1")
        let reviewed = ReportReview(suppressions: try Self.rules(Self.acceptDisabled), comparison: .with(baseline), today: Self.today)
            .apply(to: Self.report([Self.disabled, Self.plaintext, Self.rotation]))
        let text = ReportWriter.markdown(reviewed)
        let changed = try #require(text.range(of: "## What changed since the last run"))
        let findings = try #require(text.range(of: "## Findings by code"))
        let accepted = try #require(text.range(of: "## Accepted findings"))
        #expect(changed.lowerBound < findings.lowerBound && findings.lowerBound < accepted.lowerBound)
        #expect(text.contains("Compared with run `night-1` (finished 2026-12-06T02:10:00.000Z): **2 new**, **1 resolved**, 1 unchanged."))
        #expect(text.contains("| `ORPHAN_KEY` | k9 |"), "the resolved finding")
        #expect(text.contains("| high | `KEY_DISABLED` | u1 | k1 | `u1-key` |"), "new, and accepted")
        #expect(text.contains("| high | `KEY_DISABLED` | u1 | k1 | `u1-key` | The owner is on leave; the key is re-enabled on return (HR-77). | security@example.com | 2026-12-31 |"))
        let open = text[findings.upperBound..<accepted.lowerBound]
        #expect(!open.contains("| u1 |"), "an accepted finding is not among the open ones")
        #expect(text.contains("| accepted findings | 1 by 3 rules of accepted.yaml; stale (accepted nothing): gone-user |"))
        #expect(text.contains("| since the last run | 2 new, 1 resolved, 1 unchanged (since run `night-1`) |"))
        let first = ReportWriter.markdown(ReportReview(comparison: .with(nil), today: Self.today).apply(to: Self.report([Self.plaintext])))
        #expect(first.contains("No earlier complete report of this table and depth in this report folder: all 1 findings are new."))
    }
}
