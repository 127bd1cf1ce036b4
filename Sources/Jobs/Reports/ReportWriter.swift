import Foundation
import UserVaultCore

/// Writes `<dir>/<job>/<UTC stamp>-<runId>/report.json` and `report.md` (and for an audit,
/// ``OCSFFindings/fileName`` and ``ReportHTML/fileName``), files mode 0600.
///
/// A repair gets no `report.html`: its report is the list of what it did, for the operator who
/// ran it, and `report.md` shows that; its effect shows on the next audit's page (resolved).
public enum ReportWriter {
    /// - Parameters:
    ///   - extras: further files for the same folder (e.g. a worker's ``AuditShare``), by name.
    ///   - history: the destination's earlier reports, newest first, for `report.html`'s trend.
    /// - Returns: the folder written.
    @discardableResult
    public static func write(_ report: JobReport, to directory: URL, extras: [String: Data] = [:],
                             history: [ReportHistory.Entry] = []) throws -> URL {
        let stamp = report.startedAt.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
            .split(separator: ".").first.map(String.init) ?? report.startedAt
        let folder = directory.appendingPathComponent(report.job).appendingPathComponent("\(stamp)-\(report.runId)")
        try PrivateDirectory.create(at: folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try write(try encoder.encode(report), to: folder.appendingPathComponent("report.json"))
        if report.job == "audit" {
            try write(try OCSFFindings.document(for: report), to: folder.appendingPathComponent(OCSFFindings.fileName))
            try write(Data(try ReportHTML.render(report, history: history).utf8), to: folder.appendingPathComponent(ReportHTML.fileName))
        }
        for (name, data) in extras.sorted(by: { $0.key < $1.key }) {
            try write(data, to: folder.appendingPathComponent(name))
        }
        try write(Data(markdown(report).utf8), to: folder.appendingPathComponent("report.md"))
        return folder
    }

    static func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600])
        else { throw RunStateError("cannot write \(temporary.path)") }
        // rename(2) is atomic: a reader sees the old file or the whole new one.
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw RunStateError("cannot write \(url.path) (errno \(errno))")
        }
    }

    /// The orphan keys' line: what the audit's cost, or what prune-orphans saves.
    static func orphanKeysRow(_ cost: OrphanKeyCost, report: JobReport) -> String {
        guard report.actions != nil else { return "| orphan keys | \(cost.keys), costing \(cost.aboutText) |" }
        let what = report.parameters["apply"] == "true" ? "orphan keys scheduled for deletion"
            : "orphan keys --apply would schedule for deletion"
        return "| \(what) | \(cost.keys), saving \(cost.aboutText) |"
    }

    /// `report.md`: for people.
    public static func markdown(_ report: JobReport) -> String {
        var lines = [
            "# \(report.job) report — \(report.complete ? "complete" : "INCOMPLETE (partial)")", "",
            "| | |", "|---|---|",
            "| run | `\(report.runId)` |", "| backend | \(report.backend) |", "| table | `\(report.table)` |",
        ]
        if let asOf = report.parameters["asOf"], let arn = report.parameters["exportArn"] {
            lines.append("| items | as of \(asOf), from the DynamoDB export `\(arn)` (no read capacity spent)"
                         + (report.job == "audit" ? "; key states and proofs are live, as of this run |" : " |"))
        }
        lines += [
            "| started / finished | \(report.startedAt) / \(report.finishedAt) |",
            "| segments | \(report.segments.finished) of \(report.segments.assigned) (worker \(report.segments.worker), \(report.segments.total) in all) |",
            "| items scanned / users / verified | \(report.scanned) / \(report.users) / \(report.verified) |",
            String(format: "| throughput | %.0f items/s over %.1f s |",
                   Double(report.scanned) / max(report.stats.durationSeconds, 0.001), report.stats.durationSeconds),
            "| requests | DynamoDB \(report.stats.dynamoRequests), KMS \(report.stats.kmsRequests), retries \(report.stats.retries), throttles \(report.stats.throttles) |",
        ]
        if let kms = report.parameters["kmsBudget"], let reads = report.parameters["readBudget"] {
            lines.append("| budgets (this process) | KMS \(kms)" + (report.parameters["kmsShare"].map { " (share \($0) of the account's quotas)" } ?? "")
                         + "; reads \(reads == "none" ? "not capped" : reads + " RCU/s") |")
        }
        if let published = report.published { lines.append("| findings | \(published.summary) |") }
        if let cost = report.orphanKeys { lines.append(orphanKeysRow(cost, report: report)) }
        if let suppressions = report.suppressions { lines.append("| accepted findings | \(cell(summary(of: suppressions))) |") }
        if let delta = report.delta { lines.append("| since the last run | \(summary(of: delta)) |") }
        lines.append("")
        if let delta = report.delta { lines += changes(delta, in: report) }
        if let actions = report.actions {
            let mode = report.parameters["apply"] == "true" ? "applied" : "dry run: nothing was changed"
            lines += ["## Actions (\(mode))", ""]
            if actions.isEmpty {
                lines.append("Nothing to do.")
            } else {
                lines += ["| action and outcome | users |", "|---|---|"]
                for (key, count) in report.summary.sorted(by: { $0.key < $1.key }) { lines.append("| `\(key)` | \(count) |") }
                lines += ["", "| user | action | outcome | key | detail |", "|---|---|---|---|---|"]
                for action in actions {
                    let outcome = action.outcome.rawValue + (action.code.map { " (`\($0)`)" } ?? "")
                    lines.append("| \(action.userId) | `\(action.action)` | \(outcome) | \(action.keyId ?? "") | \(action.detail) |")
                }
            }
        } else if report.findings.isEmpty {
            lines.append("No findings.")
        } else {
            let accepted = Dictionary(grouping: report.acceptedFindings, by: \.code).mapValues(\.count)
            lines += ["## Findings by code", "", "| code | severity | users | accepted | what to do |", "|---|---|---|---|---|"]
            for code in FindingCode.allCases {
                guard let count = report.summary[code.rawValue] else { continue }
                lines.append("| `\(code.rawValue)` | \(code.severity.rawValue) | \(count) | \(accepted[code] ?? 0) | \(code.remedy) |")
            }
            let open = bySeverity(report.findings.filter { $0.suppressed == nil })
            lines += ["", "## Findings", ""]
            if open.isEmpty {
                lines.append("None open: every finding is accepted (below).")
            } else {
                lines += ["| severity | code | user | key | detail |", "|---|---|---|---|---|"]
                for finding in open {
                    lines.append("| \(finding.severity.rawValue) | `\(finding.code.rawValue)` | \(finding.userId ?? "") | \(finding.keyId ?? "") | \(cell(finding.detail)) |")
                }
            }
            let acceptedFindings = bySeverity(report.acceptedFindings)
            if !acceptedFindings.isEmpty {
                lines += ["", "## Accepted findings", "",
                          "Accepted by a rule of \(report.suppressions.map { "`\($0.source)`" } ?? "the suppressions file"): they do not count for `--fail-on` or the exit code.", "",
                          "| severity | code | user | key | rule | reason | owner | expires |", "|---|---|---|---|---|---|---|---|"]
                for finding in acceptedFindings {
                    guard let mark = finding.suppressed else { continue }
                    lines.append("| \(finding.severity.rawValue) | `\(finding.code.rawValue)` | \(finding.userId ?? "") | \(finding.keyId ?? "") | `\(mark.rule)` | \(cell(mark.reason)) | \(cell(mark.owner)) | \(mark.expires) |")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The most rows a list of changes shows; report.json has them all.
    static let changeRows = 100

    /// "What changed since the last run": the new findings, the resolved ones, those whose acceptance ended.
    static func changes(_ delta: ReportDelta, in report: JobReport) -> [String] {
        var lines = ["## What changed since the last run", ""]
        guard let baseline = delta.baseline else {
            return lines + ["No earlier complete report of this table and depth in this report folder: all \(delta.new.count) findings are new.", ""]
        }
        lines.append("Compared with run `\(baseline.runId)` (finished \(baseline.finished)): **\(delta.new.count) new**, "
                     + "**\(delta.resolved.count) resolved**, \(delta.unchanged) unchanged"
                     + (delta.reopened.isEmpty ? "" : ", \(delta.reopened.count) no longer accepted") + ".")
        if !report.isCompleteOverEverySegment {
            lines.append("This run did not cover every segment (partial or one worker's): it says nothing of what was resolved.")
        }
        let byId = Dictionary(report.findings.map { (report.findingId($0), $0) }, uniquingKeysWith: { first, _ in first })
        func findingRows(_ title: String, _ ids: [String]) {
            guard !ids.isEmpty else { return }
            lines += ["", "### \(title)", "", "| severity | code | user | key | accepted |", "|---|---|---|---|---|"]
            for finding in bySeverity(ids.compactMap { byId[$0] }).prefix(changeRows) {
                lines.append("| \(finding.severity.rawValue) | `\(finding.code.rawValue)` | \(finding.userId ?? "") | \(finding.keyId ?? "") | \(finding.suppressed.map { "`\($0.rule)`" } ?? "") |")
            }
            if ids.count > changeRows { lines.append("| | | … and \(ids.count - changeRows) more (report.json `delta`) | | |") }
        }
        findingRows("New", delta.new)
        findingRows("No longer accepted", delta.reopened)
        if !delta.resolved.isEmpty {
            let prefix = OCSFFindings.findingUIDPrefix(backend: report.backend, table: report.table)
            lines += ["", "### Resolved", "", "| code | user or key |", "|---|---|"]
            for id in delta.resolved.prefix(changeRows) {
                let (subject, code) = ReportDelta.parts(of: id, prefix: prefix)
                lines.append("| `\(code)` | \(subject) |")
            }
            if delta.resolved.count > changeRows { lines.append("| … and \(delta.resolved.count - changeRows) more (report.json `delta`) | |") }
        }
        return lines + [""]
    }

    static func summary(of delta: ReportDelta) -> String {
        guard let baseline = delta.baseline else { return "no earlier report: \(delta.new.count) new" }
        return "\(delta.new.count) new, \(delta.resolved.count) resolved, \(delta.unchanged) unchanged"
            + (delta.reopened.isEmpty ? "" : ", \(delta.reopened.count) no longer accepted") + " (since run `\(baseline.runId)`)"
    }

    static func summary(of suppressions: SuppressionsSummary) -> String {
        var text = "\(suppressions.accepted) by \(suppressions.rules) rule\(suppressions.rules == 1 ? "" : "s") of \(suppressions.source)"
        if !suppressions.expired.isEmpty { text += "; expired (their findings count again): " + suppressions.expired.joined(separator: ", ") }
        if !suppressions.expiringSoon.isEmpty {
            text += "; ending soon: " + suppressions.expiringSoon.map { "\($0.rule) (\($0.expires))" }.joined(separator: ", ")
        }
        if !suppressions.stale.isEmpty { text += "; stale (accepted nothing): " + suppressions.stale.joined(separator: ", ") }
        return text
    }

    /// Most severe first, then by code.
    static func bySeverity(_ findings: [Finding]) -> [Finding] {
        findings.sorted { ($0.severity, $0.code.rawValue) > ($1.severity, $1.code.rawValue) }
    }

    /// Text for a table cell: one line, no column break.
    static func cell(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ").replacingOccurrences(of: "|", with: "\\|")
    }
}
