import Foundation
import UserVaultCore

/// Writes `<dir>/<job>/<UTC stamp>-<runId>/report.json` and `report.md` (and for an audit,
/// ``OCSFFindings/fileName``), files mode 0600.
public enum ReportWriter {
    /// - Parameter extras: further files for the same folder (e.g. a worker's ``AuditShare``), by name.
    /// - Returns: the folder written.
    @discardableResult
    public static func write(_ report: JobReport, to directory: URL, extras: [String: Data] = [:]) throws -> URL {
        let stamp = report.startedAt.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
            .split(separator: ".").first.map(String.init) ?? report.startedAt
        let folder = directory.appendingPathComponent(report.job).appendingPathComponent("\(stamp)-\(report.runId)")
        try PrivateDirectory.create(at: folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try write(try encoder.encode(report), to: folder.appendingPathComponent("report.json"))
        if report.job == "audit" {
            try write(try OCSFFindings.document(for: report), to: folder.appendingPathComponent(OCSFFindings.fileName))
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
        lines.append("")
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
            lines += ["## Findings by code", "", "| code | severity | users | what to do |", "|---|---|---|---|"]
            for code in FindingCode.allCases {
                guard let count = report.summary[code.rawValue] else { continue }
                lines.append("| `\(code.rawValue)` | \(code.severity.rawValue) | \(count) | \(code.remedy) |")
            }
            lines += ["", "## Findings", "", "| severity | code | user | key | detail |", "|---|---|---|---|---|"]
            for finding in report.findings.sorted(by: { ($0.severity, $0.code.rawValue) > ($1.severity, $1.code.rawValue) }) {
                lines.append("| \(finding.severity.rawValue) | `\(finding.code.rawValue)` | \(finding.userId ?? "") | \(finding.keyId ?? "") | \(finding.detail) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
