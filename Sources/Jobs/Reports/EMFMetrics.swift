import Foundation

/// A job's metrics as CloudWatch Embedded Metric Format lines: one JSON object per line, which
/// CloudWatch Logs turns into metrics in namespace `UserVault` with no PutMetricData call.
///
/// ```swift
/// for line in EMFMetrics.lines(for: report, at: Date()) { print(line) }
/// ```
///
/// The first line holds the run's totals with dimensions `Table` and `Job`: `Scanned`, `Users`,
/// `Verified`, `Findings`, `FindingsHigh`/`Medium`/`Low` (accepted findings included), `DynamoDBRequests`, `KMSRequests`,
/// `TaggingRequests`, `Retries`, `Throttles`, `Duration` (seconds) and `Complete` (1 or 0). A job
/// that finds (audit, merge-reports) adds `Suppressed` (findings a suppressions rule accepted) to
/// the totals, and with a delta (every run but `--baseline none`) `NewFindings` (unaccepted
/// findings new since the baseline, or whose acceptance ended: what `--fail-when new` counts, at
/// any severity) and `ResolvedFindings`; and one line per finding code (a fixed set:
/// ``FindingCode/allCases``, zeros included) with metric `Findings` and dimensions `Table`, `Job`,
/// `Code`. `RunId` (and `Severity` on a code's line) are properties, not dimensions. Nothing in
/// them names a user or holds a secret.
///
/// Specification: <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>
public enum EMFMetrics {
    public static let namespace = "UserVault"
    /// The specification's limit of metrics per directive.
    static let maximumMetrics = 100

    /// One metric of a line: its name, CloudWatch unit and value.
    public struct Metric: Sendable, Equatable {
        public enum Unit: String, Sendable {
            case count = "Count", seconds = "Seconds", bytes = "Bytes", none = "None"
        }

        public var name: String
        public var unit: Unit
        public var value: Double

        public init(_ name: String, _ unit: Unit, _ value: Double) {
            self.name = name
            self.unit = unit
            self.value = value
        }
    }

    /// The jobs whose findings are counted per code.
    static let findingJobs: Set<String> = ["audit", "merge-reports"]

    /// The lines of a finished job's report.
    /// - Parameter job: the `Job` dimension: the job that ran (`merge-reports` for a merge, whose
    ///   report is an audit's); the report's own job by default.
    public static func lines(for report: JobReport, job: String? = nil, at date: Date) -> [String] {
        let stats = report.stats
        let job = job ?? report.job
        let bySeverity = Dictionary(grouping: report.findings, by: \.severity).mapValues(\.count)
        var review: [Metric] = []
        if findingJobs.contains(job) {
            review.append(.init("Suppressed", .count, Double(report.acceptedFindings.count)))
            if let delta = report.delta {
                review.append(.init("NewFindings", .count, Double(report.failing(atOrAbove: .low, when: .new).count)))
                review.append(.init("ResolvedFindings", .count, Double(delta.resolved.count)))
            }
        }
        let totals: [Metric] = [
            .init("Scanned", .count, Double(report.scanned)),
            .init("Users", .count, Double(report.users)),
            .init("Verified", .count, Double(report.verified)),
            .init("Findings", .count, Double(report.findings.count)),
        ] + Severity.allCases.reversed().map { .init("Findings" + $0.rawValue.capitalized, .count, Double(bySeverity[$0] ?? 0)) } + review + [
            .init("DynamoDBRequests", .count, Double(stats.dynamoRequests)),
            .init("KMSRequests", .count, Double(stats.kmsRequests)),
            .init("TaggingRequests", .count, Double(stats.taggingRequests)),
            .init("Retries", .count, Double(stats.retries)),
            .init("Throttles", .count, Double(stats.throttles)),
            .init("Duration", .seconds, stats.durationSeconds),
            .init("Complete", .none, report.complete ? 1 : 0),
        ]
        var lines = [line(job: job, table: report.table, runId: report.runId, metrics: totals, at: date)]
        if findingJobs.contains(job) {
            let byCode = Dictionary(grouping: report.findings, by: \.code).mapValues(\.count)
            lines += FindingCode.allCases.map { code in
                line(job: job, table: report.table, runId: report.runId,
                     metrics: [.init("Findings", .count, Double(byCode[code] ?? 0))], at: date,
                     dimensions: ["Code": code.rawValue], properties: ["Severity": code.severity.rawValue])
            }
        }
        return lines
    }

    /// One EMF line: `metrics` with dimensions `Table`, `Job` (and `dimensions`' names), every
    /// metric and dimension a member of the object, `RunId` and `properties` beside them.
    /// - Precondition: at most 100 metrics (the specification's limit per directive).
    public static func line(job: String, table: String, runId: String?, metrics: [Metric], at date: Date,
                            dimensions: [String: String] = [:], properties: [String: String] = [:]) -> String {
        precondition(metrics.count <= maximumMetrics, "an EMF directive holds at most \(maximumMetrics) metrics")
        let names = ["Table", "Job"] + dimensions.keys.sorted()
        let directive: [String: Any] = [
            "Namespace": namespace,
            "Dimensions": [names],
            "Metrics": metrics.map { ["Name": $0.name, "Unit": $0.unit.rawValue] },
        ]
        var object: [String: Any] = [
            "_aws": ["Timestamp": Int64((date.timeIntervalSince1970 * 1000).rounded()), "CloudWatchMetrics": [directive]],
            "Table": table, "Job": job,
        ]
        if let runId { object["RunId"] = runId }
        for (name, value) in dimensions.merging(properties, uniquingKeysWith: { $1 }) { object[name] = value }
        for metric in metrics { object[metric.name] = number(metric.value) }
        // Valid JSON objects of strings and numbers: serialization cannot fail.
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// A whole number as an integer (`3`, not `3.0`); a value JSON cannot hold (NaN, infinity) as 0.
    private static func number(_ value: Double) -> Any {
        guard value.isFinite else { return 0 }
        return value == value.rounded() && abs(value) < 1e15 ? Int64(value) as Any : value
    }
}
