import Foundation

/// What `report.html` shows, worked out from an audit's report and the earlier runs of its
/// destination: every number, label and chart coordinate. The template
/// (`Templates/report.html.mustache`) only places them, HTML-escaped.
///
/// Mustache reads these values by reflection: every field is stored, and a row's optional field
/// never shares its name with a field of an enclosing value (a missing value would be looked up
/// in the enclosing one).
struct ReportPage {
    /// One of the numbers at the top. `id` names it for the tests (`data-tile`).
    struct Tile {
        var id: String
        var label: String
        var value: String
        var note: String
        /// A CSS class: `high`, `medium`, `low`, `good`, `plain`.
        var tone: String
    }

    /// A label and a value of the run's table.
    struct Row {
        var label: String
        var value: String
    }

    struct FindingRow {
        var user: String
        var key: String
        var detail: String
        var isNew: Bool
    }

    /// The open findings of one code, with what to do about them.
    struct CodeGroup {
        var code: String
        var severity: String
        var count: Int
        var remedy: String
        var rows: [FindingRow]
        /// Rows left out of the page (they are all in `report.json`).
        var notShown: Int?
    }

    struct AcceptedRow {
        var code: String
        var severity: String
        var subject: String
        var rule: String
        var reason: String
        var owner: String
        var expires: String
        var detail: String
    }

    /// The suppressions file's own news: rules that expired, expire soon, or matched nothing.
    struct Rules {
        var source: String
        var count: Int
        var expired: String?
        var expiringSoon: String?
        var stale: String?
    }

    /// A finding that appeared or went away since the baseline.
    struct ChangeRow {
        var code: String
        var subject: String
        var detail: String
    }

    /// What changed since the baseline run (`delta`).
    struct Changes {
        /// No delta: the run was not compared (`--baseline none`).
        var notCompared: Bool
        /// A delta without a baseline: no earlier report, every finding is new.
        var firstRun: Bool
        var baselineRun: String
        var baselineFinished: String
        var newCount: Int
        var resolvedCount: Int
        var unchanged: Int
        var appeared: [ChangeRow]
        var appearedNotShown: Int?
        var fixed: [ChangeRow]
        var fixedNotShown: Int?
        // Mustache tests a list only by repeating its section once per row; these open tables.
        var hasAppeared: Bool
        var hasFixed: Bool
    }

    /// At most this many rows of one list on the page; `report.json` holds them all.
    static let rowLimit = 500

    /// The Content-Security-Policy source of the page's one style block (``ReportHTML``).
    var styleHash = ""
    var title: String
    var heading: String
    var complete: Bool
    var runId: String
    var table: String
    var backend: String
    var startedAt: String
    var finishedAt: String
    var stoppedBecause: String?
    var tiles: [Tile]
    var changes: Changes
    var chart: ReportBarChart?
    var trend: ReportTrendChart
    var groups: [CodeGroup]
    var accepted: [AcceptedRow]
    var hasAccepted: Bool
    var rules: Rules?
    var run: [Row]
    var parameters: [Row]

    /// - Parameter history: earlier runs of the destination, newest first; those
    ///   ``ReportHTML/trendIncludes(_:of:)`` accepts are drawn, at most ``ReportHTML/trendLimit``
    ///   with this run.
    init(_ report: JobReport, history: [ReportHistory.Entry]) {
        let open = report.findings.filter { $0.suppressed == nil }
        let acceptedFindings = report.findings.filter { $0.suppressed != nil }
        let uid = { (finding: Finding) in OCSFFindings.findingUID(finding, backend: report.backend, table: report.table) }
        let newIds = Set(report.delta?.new ?? [])
        let scope = report.segments.worker == WorkerShare.whole.description ? "" : " (worker \(report.segments.worker))"
        title = "UserVault \(report.job) of \(report.table) — \(report.finishedAt)"
        heading = "\(report.job.capitalized) of \(report.table)\(scope)"
        complete = report.complete
        runId = report.runId
        table = report.table
        backend = report.backend
        startedAt = report.startedAt
        finishedAt = report.finishedAt
        stoppedBecause = report.complete ? nil : report.parameters["error"] ?? "the run did not finish every segment"
        tiles = Self.tiles(report, open: open, accepted: acceptedFindings.count)
        changes = Self.changes(report, uid: uid)
        chart = ReportBarChart(open: open, accepted: acceptedFindings)
        let earlier = history.filter { ReportHTML.trendIncludes($0, of: report) }.sorted { $0.finishedAt > $1.finishedAt }
        let runs = earlier.prefix(ReportHTML.trendLimit - 1).reversed() + [ReportHistory.Entry(report: report, location: "")]
        trend = ReportTrendChart(runs: runs, showsNew: report.delta != nil || runs.contains { $0.newFindings > 0 })
        groups = Self.groups(open) { newIds.contains(uid($0)) }
        accepted = acceptedFindings.prefix(Self.rowLimit).compactMap { finding in
            finding.suppressed.map {
                AcceptedRow(code: finding.code.rawValue, severity: finding.severity.rawValue, subject: Self.subject(finding),
                            rule: $0.rule, reason: $0.reason, owner: $0.owner, expires: $0.expires, detail: finding.detail)
            }
        }
        hasAccepted = !accepted.isEmpty
        rules = report.suppressions.map {
            Rules(source: $0.source, count: $0.rules, expired: Self.list($0.expired),
                  expiringSoon: Self.list($0.expiringSoon.map { "\($0.rule) (\($0.expires))" }), stale: Self.list($0.stale))
        }
        run = Self.runRows(report)
        parameters = report.parameters.sorted { $0.key < $1.key }.map { Row(label: $0.key, value: $0.value) }
    }

    static func tiles(_ report: JobReport, open: [Finding], accepted: Int) -> [Tile] {
        let bySeverity = Dictionary(grouping: open, by: \.severity).mapValues(\.count)
        let proven = report.users == 0 ? "" : String(format: "%.1f%% of users", Double(report.verified) * 100 / Double(report.users))
        var tiles = [
            Tile(id: "users", label: "users", value: "\(report.users)", note: "\(report.scanned) items scanned", tone: "plain"),
            Tile(id: "proven", label: "proven", value: "\(report.verified)", note: proven,
                 tone: report.verified == report.users ? "good" : "plain"),
        ]
        for severity in Severity.allCases.reversed() {
            let count = bySeverity[severity] ?? 0
            tiles.append(Tile(id: severity.rawValue, label: "\(severity.rawValue) findings", value: "\(count)", note: "not accepted",
                              tone: count == 0 ? "good" : severity.rawValue))
        }
        let delta = report.delta
        let since = delta.map { $0.baseline.map { "since \($0.finished)" } ?? "no earlier report" } ?? "not compared"
        tiles.append(Tile(id: "new", label: "new", value: delta.map { "\($0.new.count)" } ?? "—", note: since,
                          tone: (delta?.new.isEmpty ?? true) ? "plain" : "high"))
        tiles.append(Tile(id: "resolved", label: "resolved", value: delta.map { "\($0.resolved.count)" } ?? "—", note: since,
                          tone: (delta?.resolved.isEmpty ?? true) ? "plain" : "good"))
        tiles.append(Tile(id: "accepted", label: "accepted", value: "\(accepted)",
                          note: report.suppressions.map { "\($0.rules) rules in force" } ?? "no suppressions file", tone: "plain"))
        return tiles
    }

    static func changes(_ report: JobReport, uid: (Finding) -> String) -> Changes {
        guard let delta = report.delta else {
            return Changes(notCompared: true, firstRun: false, baselineRun: "", baselineFinished: "", newCount: 0, resolvedCount: 0,
                           unchanged: 0, appeared: [], fixed: [], hasAppeared: false, hasFixed: false)
        }
        let byId = Dictionary(report.findings.map { (uid($0), $0) }, uniquingKeysWith: { first, _ in first })
        let prefix = OCSFFindings.findingUIDPrefix(backend: report.backend, table: report.table)
        let appeared = delta.new.prefix(rowLimit).map { id in
            byId[id].map { ChangeRow(code: $0.code.rawValue, subject: subject($0), detail: $0.detail) }
                ?? changeRow(id, prefix: prefix)
        }
        let fixed = delta.resolved.prefix(rowLimit).map { changeRow($0, prefix: prefix) }
        return Changes(notCompared: false, firstRun: delta.baseline == nil, baselineRun: delta.baseline?.runId ?? "",
                       baselineFinished: delta.baseline?.finished ?? "", newCount: delta.new.count,
                       resolvedCount: delta.resolved.count, unchanged: delta.unchanged,
                       appeared: appeared, appearedNotShown: notShown(delta.new.count), fixed: fixed,
                       fixedNotShown: notShown(delta.resolved.count), hasAppeared: !appeared.isEmpty, hasFixed: !fixed.isEmpty)
    }

    /// A finding known by its id only (`…/<table>/<user or key>/<CODE>`).
    static func changeRow(_ id: String, prefix: String) -> ChangeRow {
        let rest = id.hasPrefix(prefix) ? String(id.dropFirst(prefix.count)) : id
        guard let slash = rest.lastIndex(of: "/") else { return ChangeRow(code: "", subject: rest, detail: "") }
        return ChangeRow(code: String(rest[rest.index(after: slash)...]), subject: String(rest[..<slash]), detail: "")
    }

    /// The open findings by code, the most severe codes first.
    static func groups(_ open: [Finding], isNew: (Finding) -> Bool) -> [CodeGroup] {
        let byCode = Dictionary(grouping: open, by: \.code)
        return FindingCode.ordered.compactMap { code in
            guard let findings = byCode[code] else { return nil }
            let rows = findings.prefix(rowLimit).map {
                FindingRow(user: $0.userId ?? "", key: $0.keyId ?? "", detail: $0.detail, isNew: isNew($0))
            }
            return CodeGroup(code: code.rawValue, severity: code.severity.rawValue, count: findings.count, remedy: code.remedy,
                             rows: Array(rows), notShown: notShown(findings.count))
        }
    }

    static func runRows(_ report: JobReport) -> [Row] {
        let stats = report.stats
        var rows = [
            Row(label: "run", value: report.runId),
            Row(label: "backend / table", value: "\(report.backend) / \(report.table)"),
            Row(label: "started / finished", value: "\(report.startedAt) / \(report.finishedAt)"),
            Row(label: "outcome", value: report.complete ? "complete" : "INCOMPLETE (partial)"),
            Row(label: "segments", value: "\(report.segments.finished) of \(report.segments.assigned) "
                + "(worker \(report.segments.worker), \(report.segments.total) in all)"),
            Row(label: "items scanned / users / proven", value: "\(report.scanned) / \(report.users) / \(report.verified)"),
            Row(label: "throughput", value: String(format: "%.0f items/s over %.1f s",
                                                   Double(report.scanned) / max(stats.durationSeconds, 0.001), stats.durationSeconds)),
            Row(label: "requests", value: "DynamoDB \(stats.dynamoRequests), KMS \(stats.kmsRequests), tagging \(stats.taggingRequests), "
                + "retries \(stats.retries), throttles \(stats.throttles)"),
        ]
        if let kms = report.parameters["kmsBudget"], let reads = report.parameters["readBudget"] {
            rows.append(Row(label: "budgets (this process)", value: "KMS \(kms)"
                + (report.parameters["kmsShare"].map { " (share \($0) of the account's quotas)" } ?? "")
                + "; reads \(reads == "none" ? "not capped" : reads + " RCU/s")"))
        }
        if let published = report.published { rows.append(Row(label: "findings published", value: published.summary)) }
        return rows
    }

    /// Who a finding is about: its user, else its key.
    static func subject(_ finding: Finding) -> String {
        finding.userId ?? finding.keyId ?? "—"
    }

    static func notShown(_ count: Int) -> Int? {
        count > rowLimit ? count - rowLimit : nil
    }

    static func list(_ items: [String]) -> String? {
        items.isEmpty ? nil : items.joined(separator: ", ")
    }
}

extension FindingCode {
    /// The most severe first, then in declaration order.
    static let ordered: [FindingCode] = Severity.allCases.reversed().flatMap { severity in
        allCases.filter { $0.severity == severity }
    }
}
