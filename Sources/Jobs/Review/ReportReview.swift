/// The review of a report, once, after the scan (or the merge) and before the report is
/// delivered: the suppressions file's rules mark the findings they accept, and the report is
/// compared with its baseline. The same for `audit` and `merge-reports`, a complete run or a
/// partial one.
///
/// ```swift
/// let review = ReportReview(suppressions: rules, comparison: .with(baseline), today: CalendarDay(now))
/// let reviewed = review.apply(to: report)   // findings marked, `suppressions`, `delta`
/// ```
public struct ReportReview: Sendable {
    /// What the report is compared with.
    public enum Comparison: Sendable {
        /// Nothing: no `delta` (`--baseline none`).
        case none
        /// This baseline; `nil` when no earlier report was found (every finding is then new).
        case with(JobReport?)
    }

    public var suppressions: Suppressions?
    public var comparison: Comparison
    /// The run's day (rule expiry), read once at the edge.
    public var today: CalendarDay

    public init(suppressions: Suppressions? = nil, comparison: Comparison = .none, today: CalendarDay) {
        self.suppressions = suppressions
        self.comparison = comparison
        self.today = today
    }

    /// `report` with its findings marked by the rules in force and its `suppressions` and
    /// `delta` sections (the rules that ended or end soon are in `suppressions`; whoever prepared
    /// the review warns about them: ``Suppressions/warnings(for:today:)``).
    public func apply(to report: JobReport) -> JobReport {
        var reviewed = report
        if let suppressions {
            reviewed = suppressions.apply(to: report, today: today)
        } else {
            reviewed.suppressions = nil
            for index in reviewed.findings.indices { reviewed.findings[index].suppressed = nil }
        }
        switch comparison {
        case .none: reviewed.delta = nil
        case .with(let baseline): reviewed.delta = ReportDelta.between(reviewed, and: baseline)
        }
        return reviewed
    }

    /// Why `candidate` cannot be the baseline of an audit of `table` on `backend` at `depth`
    /// (`nil`: it can): it must be an audit's report of the same backend, table and depth,
    /// complete over every segment (a partial or `--worker` report would make the users it did
    /// not scan look fixed).
    public static func unsuitableBaseline(_ candidate: JobReport, backend: String, table: String, depth: String?) -> String? {
        if candidate.job != "audit" { return "it is a \(candidate.job) report, not an audit's" }
        if candidate.backend != backend || candidate.table != table {
            return "it is of table '\(candidate.table)' (\(candidate.backend)), this audit of '\(table)' (\(backend))"
        }
        if let depth, candidate.parameters["depth"] != depth {
            return "it is a \(candidate.parameters["depth"] ?? "unknown")-depth audit, this one \(depth)"
        }
        if !candidate.complete { return "it is partial (the run did not finish)" }
        if !candidate.isCompleteOverEverySegment { return "it is one --worker's share (worker \(candidate.segments.worker))" }
        return nil
    }
}
