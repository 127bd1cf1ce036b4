import Crypto
import Foundation
@testable import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `report.html`: the template compiled in, the page's own Content-Security-Policy, escaping of
/// everything that comes from the table, the numbers from `delta` and `suppressed` (filled here
/// directly), and the trend from the
/// destination's earlier reports. The page in a browser: ReportHTMLBrowserTests.
@Suite("report.html")
struct ReportHTMLTests {
    static let hostileId = #"<script>alert("uv")</script>"#
    static let hostileDetail = #""><img src=x onerror=alert(1)>"#

    /// A deep audit of a small store with planted defects (all of them high), and a medium and
    /// a low finding added.
    static func auditReport() async throws -> JobReport {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        _ = try await Seeder(service: store.service).run(.init(users: 40, defects: 10, seed: 7), logger: JobsFixtures.logger)
        var report = try await JobsFixtures.audit(store, segments: 2, depth: .deep).report
        try #require(report.findings.count >= 10)
        report.findings += [
            Finding(.keyRotationDisabled, userId: report.findings[0].userId, keyId: "key-rotation-off", detail: "rotation is off"),
            Finding(.orphanKey, userId: "gone-user", keyId: "key-orphan", detail: "a CMK tagged CreatedBy=gone-user that no user's credentials use"),
        ]
        return report
    }

    /// `report` with two findings accepted, a delta naming two of its findings as new and three
    /// fixed ones, and a suppressions summary; ids, details and rule texts carry markup.
    static func reviewed(_ report: JobReport) -> JobReport {
        var report = report
        report.findings.append(Finding(.credentialsMissing, userId: hostileId, detail: "no credentials attribute " + hostileDetail))
        report.findings[0].suppressed = Suppression(rule: "legacy-<b>svc</b>", reason: "shared on purpose until Q3 " + hostileDetail,
                                                    owner: "team-<i>iam</i>", expires: "2027-03-31")
        report.findings[1].suppressed = Suppression(rule: "legacy-<b>svc</b>", reason: "shared on purpose until Q3 " + hostileDetail,
                                                    owner: "team-<i>iam</i>", expires: "2027-03-31")
        let uid = { OCSFFindings.findingUID($0, backend: report.backend, table: report.table) }
        let prefix = OCSFFindings.findingUIDPrefix(backend: report.backend, table: report.table)
        report.delta = ReportDelta(
            baseline: .init(runId: "0b5e0000-0000-4000-8000-00000000base", finished: "2026-12-05T02:00:00.000Z"),
            new: [uid(report.findings[2]), uid(report.findings.last!)],
            resolved: ["fixed-1/CREDENTIALS_PLAINTEXT", "fixed-2/KEY_DISABLED", hostileId + "/NOT_KMS_CIPHERTEXT"].map { prefix + $0 },
            unchanged: report.findings.count - 2)
        report.suppressions = SuppressionsSummary(source: "s3://bucket/<suppressions>.yaml", rules: 3, accepted: 2,
                                                  expired: ["old-rule"], expiringSoon: [.init(rule: "soon-rule", expires: "2026-12-15")],
                                                  stale: ["stale-" + hostileDetail])
        report.parameters["note"] = hostileDetail
        return report
    }

    /// `data-tile` → value, read off the page's text.
    static func tiles(_ html: String) -> [String: String] {
        let pattern = #/data-tile="([a-z]+)"><div class="value">([^<]*)</div>/#
        return Dictionary(html.matches(of: pattern).map { (String($0.output.1), String($0.output.2)) }, uniquingKeysWith: { $1 })
    }

    @Test("the compiled-in template is Templates/report.html.mustache to the byte")
    func templateIsCurrent() throws {
        let file = repositoryRoot.appendingPathComponent("Sources/Jobs/Reports/Templates/report.html.mustache")
        let source = try String(contentsOf: file, encoding: .utf8)
        let current = ReportHTML.template == source
        #expect(current, "Sources/Jobs/Reports/ReportHTML+Template.swift is stale: run python3 scripts/generate-report-template.py")
    }

    @Test("the page's Content-Security-Policy allows its one style block by SHA-256, and the page asks for nothing else")
    func contentSecurityPolicy() async throws {
        let html = try ReportHTML.render(Self.reviewed(try await Self.auditReport()))
        let style = try #require(html.firstMatch(of: #/<style>(.*?)</style>/#.dotMatchesNewlines())).output.1
        let hash = Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString()
        let policy = try #require(html.firstMatch(of: #/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/#)).output.1
        #expect(policy == "default-src 'none'; style-src 'sha256-\(hash)'; img-src data:; base-uri 'none'; form-action 'none'")
        #expect(html.ranges(of: "<style").count == 1)
        #expect(html.ranges(of: "Content-Security-Policy").count == 1)
        // The policy comes before anything it governs.
        #expect(try #require(html.range(of: "Content-Security-Policy")).lowerBound < (try #require(html.range(of: "<style>"))).lowerBound)
        for forbidden in ["<script", "<img", "<iframe", "<object", "<embed", "<form", " style=\"", " src=\"", "http://", "https://", "@import", "url("] {
            #expect(!html.contains(forbidden), "\(forbidden) in the page")
        }
        #expect(html.matches(of: #/href="([^"]*)"/#).map { String($0.output.1) } == ["data:,"])
    }

    @Test("ids, details, rule texts and parameters from the table are escaped: markup in them shows as text")
    func escaping() async throws {
        let html = try ReportHTML.render(Self.reviewed(try await Self.auditReport()))
        #expect(!html.contains(Self.hostileId) && !html.contains(Self.hostileDetail))
        #expect(!html.contains("<b>svc") && !html.contains("<i>iam"))
        #expect(html.contains("&lt;script&gt;alert(&quot;uv&quot;)&lt;/script&gt;"))
        #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("legacy-&lt;b&gt;svc&lt;/b&gt;") && html.contains("team-&lt;i&gt;iam&lt;/i&gt;"))
        #expect(html.contains("s3://bucket/&lt;suppressions&gt;.yaml"))
        // The hostile user shows in the findings, in what is new, and in what was resolved.
        #expect(html.ranges(of: "&lt;script&gt;alert(&quot;uv&quot;)&lt;/script&gt;").count >= 3)
    }

    @Test("tiles, what changed and the accepted findings come from delta, suppressed and suppressions")
    func reviewedNumbers() async throws {
        let report = Self.reviewed(try await Self.auditReport())
        let html = try ReportHTML.render(report)
        let open = report.findings.filter { $0.suppressed == nil }
        let count = { (severity: Severity) in "\(open.filter { $0.severity == severity }.count)" }
        #expect(Self.tiles(html) == ["users": "\(report.users)", "proven": "\(report.verified)", "high": count(.high),
                                     "medium": count(.medium), "low": count(.low), "new": "2", "resolved": "3", "accepted": "2"])
        #expect(open.count == report.findings.count - 2)
        #expect(html.contains("Compared with run <code>0b5e0000-0000-4000-8000-00000000base</code>, finished 2026-12-05T02:00:00.000Z: "
            + "<strong>2 new</strong>, <strong>3 resolved</strong>, \(report.findings.count - 2) unchanged."))
        let resolved = try #require(html.firstMatch(of: #/<h3>Resolved \(3\)</h3>(.*?)</table>/#.dotMatchesNewlines())).output.1
        #expect(resolved.contains(#"<td><code>CREDENTIALS_PLAINTEXT</code></td><td class="mono">fixed-1</td>"#))
        #expect(resolved.contains(#"<td><code>KEY_DISABLED</code></td><td class="mono">fixed-2</td>"#))
        let appeared = try #require(html.firstMatch(of: #/<h3>New \(2\)</h3>(.*?)</table>/#.dotMatchesNewlines())).output.1
        #expect(appeared.contains("<code>\(report.findings[2].code.rawValue)</code>"))
        #expect(appeared.contains("<td>no credentials attribute &quot;&gt;&lt;img"))
        // The new findings are marked in the findings table; accepted ones are not in it.
        #expect(html.ranges(of: #"<span class="badge">new</span>"#).count == 2)
        let accepted = try #require(html.firstMatch(of: #/<section id="accepted">(.*?)</section>/#.dotMatchesNewlines())).output.1
        #expect(accepted.ranges(of: "<tr><td><span class=\"sev").count == 2)
        #expect(accepted.contains("<td>2027-03-31</td>") && accepted.contains("shared on purpose until Q3"))
        #expect(accepted.contains("Expired rules (their findings count again): old-rule"))
        #expect(accepted.contains("Expiring within 14 days: soon-rule (2026-12-15)"))
        #expect(accepted.contains("Rules that matched nothing: stale-&quot;&gt;&lt;img"))
        let findings = try #require(html.firstMatch(of: #/<section id="findings">(.*?)</section>/#.dotMatchesNewlines())).output.1
        #expect(findings.ranges(of: #"<tr><td class="mono">"#).count == open.count, "one row per open finding, none for accepted ones")
        // One bar per code, accepted findings in grey after the open ones (a code may have only accepted ones).
        #expect(html.ranges(of: "<g data-code=").count == Set(report.findings.map(\.code)).count)
        #expect(html.ranges(of: #"<rect class="open "#).count == Set(open.map(\.code)).count)
        #expect(html.ranges(of: #"<rect class="accepted""#).count == Set(report.findings.prefix(2).map(\.code)).count)
    }

    @Test("without a delta the run says it was not compared; with a delta but no baseline every finding is new")
    func withoutBaseline() async throws {
        var report = try await Self.auditReport()
        var html = try ReportHTML.render(report)
        #expect(Self.tiles(html)["new"] == "—" && Self.tiles(html)["resolved"] == "—" && Self.tiles(html)["accepted"] == "0")
        #expect(html.contains("This run was not compared with an earlier one."))
        #expect(!html.contains("line new") && !html.contains("dot new"), "no line of new findings where no run was compared")
        report.delta = ReportDelta(baseline: nil, new: report.findings.map { OCSFFindings.findingUID($0, backend: report.backend, table: report.table) },
                                   resolved: [], unchanged: 0)
        html = try ReportHTML.render(report)
        #expect(Self.tiles(html)["new"] == "\(report.findings.count)" && Self.tiles(html)["resolved"] == "0")
        #expect(html.contains("No earlier complete report of this table in this destination: every finding is new."))
        #expect(html.ranges(of: #"<span class="badge">new</span>"#).count == report.findings.count)
        #expect(html.contains("Nothing resolved."))
        #expect(html.ranges(of: #"<polyline class="line new""#).count == 1 && html.ranges(of: #"<circle class="dot new"#).count == 1)
        // The report's JSON carries the contract's `"baseline": null`.
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect((json["delta"] as? [String: Any])?["baseline"] is NSNull)
    }

    @Test("the trend: the folder's complete whole-table runs of the same table and depth, the last 30 with this one, oldest first")
    func trend() async throws {
        let base = try await Self.auditReport()
        let directory = try makeTemporaryDirectory("report-trend")
        defer { try? FileManager.default.removeItem(at: directory) }
        // 33 runs that belong to the trend, a day apart, with 1...33 open findings and one accepted.
        var comparable: [JobReport] = []
        for day in 1...33 {
            var report = base
            report.runId = String(format: "00000000-0000-4000-8000-%012d", day)
            let started = Date(timeIntervalSince1970: 1_790_000_000 + Double(day) * 86_400)
            report.startedAt = JobReport.timestamp(started)
            report.finishedAt = JobReport.timestamp(started + 1_800)
            report.findings = Array(repeating: Finding(.credentialsPlaintext, userId: "u", detail: "d"), count: day)
            report.findings.append(Finding(.keyShared, userId: "v", detail: "d"))
            report.findings[day].suppressed = Suppression(rule: "r", reason: "accepted for the trend test", owner: "o", expires: "2027-01-01")
            report.delta = ReportDelta(baseline: nil, new: Array(repeating: "x", count: day % 3), resolved: [], unchanged: 0)
            comparable.append(report)
            try ReportWriter.write(report, to: directory)
        }
        // Newer, and not in the trend: another table, another depth, a worker's share, a partial run;
        // and a folder without a report.
        var others: [JobReport] = []
        for change in 0..<4 {
            var report = comparable[32]
            report.runId = "ffffffff-0000-4000-8000-00000000000\(change)"
            report.startedAt = "2026-12-0\(change + 1)T02:00:00.000Z"
            report.finishedAt = "2026-12-0\(change + 1)T03:00:00.000Z"
            switch change {
            case 0: report.table = "other-table"
            case 1: report.parameters["depth"] = "standard"
            case 2: (report.segments.worker, report.segments.assigned, report.segments.finished) = ("1/2", 1, 1)
            default: (report.complete, report.segments.finished) = (false, 1)
            }
            others.append(report)
            try ReportWriter.write(report, to: directory)
        }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("audit/20261231T000000Z-empty"),
                                                withIntermediateDirectories: true)
        var current = base
        current.runId = "cccccccc-0000-4000-8000-000000000000"
        current.startedAt = "2026-12-10T02:00:00.000Z"
        current.finishedAt = "2026-12-10T02:30:00.000Z"
        let includes = { (entry: ReportHistory.Entry) in ReportHTML.trendIncludes(entry, of: current) }

        let all = try await ReportHistory(store: LocalReportStore(directory: directory)).entries(limit: 100)
        #expect(all.count == 37 && all.prefix(4).map(\.runId) == others.reversed().map(\.runId), "every readable report, newest first")
        #expect(all.filter { !$0.wholeTable }.map(\.runId) == [others[3].runId, others[2].runId])
        let history = try await ReportHistory(store: LocalReportStore(directory: directory)).entries(limit: ReportHTML.trendLimit - 1, where: includes)
        #expect(history.map(\.runId) == comparable.suffix(29).reversed().map(\.runId), "the newest 29 runs of the trend, newest first")
        #expect(history.map(\.findings) == Array((5...33).reversed()) && history.allSatisfy { $0.accepted == 1 }, "open findings only")
        #expect(history.map(\.newFindings) == (5...33).reversed().map { $0 % 3 })
        #expect(history.first?.location == directory.appendingPathComponent("audit").path + "/"
            + (try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("audit").path)
                .first { $0.hasSuffix(comparable[32].runId) } ?? "?"))
        // A report is never in its own trend; a worker's page draws no earlier run.
        #expect(!ReportHTML.trendIncludes(ReportHistory.Entry(report: comparable[32], location: ""), of: comparable[32]))
        #expect(ReportPage(others[2], history: all).trend.points.count == 1)

        let page = ReportPage(current, history: all)
        #expect(page.trend.runCount == 30 && page.trend.points.count == 30)
        #expect(page.trend.points.last?.tooltip.hasSuffix("run \(current.runId)") == true)
        #expect(page.trend.points.allSatisfy { $0.kind == "complete" })
        let xs = page.trend.points.map(\.x), ys = page.trend.points.prefix(29).map(\.y)
        #expect(xs == xs.sorted() && Set(xs).count == 30 && xs.first == ReportTrendChart.left && xs.last == ReportTrendChart.right)
        #expect(ys == ys.sorted(by: >), "more findings, higher up (smaller y)")
        #expect(page.trend.ticks.map(\.value) == [0, 9, 18, 27, 36])
        #expect(page.trend.newLine != nil, "earlier runs were compared")
        var partial = current
        partial.complete = false
        #expect(ReportPage(partial, history: all).trend.points.map(\.kind) == Array(repeating: "complete", count: 29) + ["partial"])
        #expect(try ReportHTML.render(partial, history: history).contains("hollow dot: this run, incomplete"))
        let html = try ReportHTML.render(current, history: history)
        #expect(html.contains("Findings over the last 30 runs") && !html.contains("hollow dot"))
        #expect(html.ranges(of: #"<circle class="dot findings"#).count == 30)
    }

    @Test("an audit's folder gets report.html (mode 0600); a repair's does not")
    func whichReports() async throws {
        let report = try await Self.auditReport()
        let directory = try makeTemporaryDirectory("report-html-folders")
        defer { try? FileManager.default.removeItem(at: directory) }
        let audit = try ReportWriter.write(report, to: directory)
        let page = audit.appendingPathComponent(ReportHTML.fileName)
        #expect(try FileManager.default.attributesOfItem(atPath: page.path)[.posixPermissions] as? Int == 0o600)
        #expect(try String(contentsOf: page, encoding: .utf8) == ReportHTML.render(report))
        var repair = report
        repair.job = "backfill-encrypt-plaintext"
        repair.findings = []
        repair.actions = []
        let repaired = try ReportWriter.write(repair, to: directory)
        #expect(!FileManager.default.fileExists(atPath: repaired.appendingPathComponent(ReportHTML.fileName).path))
        #expect(FileManager.default.fileExists(atPath: repaired.appendingPathComponent("report.md").path))
    }

    @Test("a code with more findings than the page shows lists 500 and counts the rest")
    func longLists() async throws {
        var report = try await Self.auditReport()
        report.findings = (0..<520).map { Finding(.credentialsMissing, userId: String(format: "user-%04d", $0), detail: "no credentials attribute") }
        report.delta = ReportDelta(baseline: .init(runId: "b", finished: "f"), new: report.findings.map {
            OCSFFindings.findingUID($0, backend: report.backend, table: report.table)
        }, resolved: [], unchanged: 0)
        let html = try ReportHTML.render(report)
        #expect(html.contains("user-0499") && !html.contains("user-0500"))
        #expect(html.contains("… and 20 more, listed in report.json."))
        #expect(html.contains("… and 20 more, listed in report.json (delta.new)."))
        #expect(Self.tiles(html)["high"] == "520" && Self.tiles(html)["new"] == "520")
    }
}
