/// `--fail-when`: which findings at or above `--fail-on` make the run exit 1.
public enum FailWhen: String, Sendable, Codable, CaseIterable {
    /// Every unaccepted finding (the default).
    case any
    /// Unaccepted findings that need attention since the baseline: new ones (``ReportDelta/new``)
    /// and those whose acceptance ended (``ReportDelta/reopened``).
    case new
}

extension JobReport {
    /// The findings that fail the run (exit 1): at or above `severity`, not accepted, and with
    /// ``FailWhen/new`` only those new or reopened since the baseline. A report without a delta
    /// (`--baseline none`) has nothing to compare: every unaccepted finding counts then.
    public func failing(atOrAbove severity: Severity, when: FailWhen) -> [Finding] {
        let open = findings.filter { $0.suppressed == nil && $0.severity >= severity }
        guard when == .new, let delta else { return open }
        let fresh = Set(delta.new).union(delta.reopened)
        return open.filter { fresh.contains(findingId($0)) }
    }
}
