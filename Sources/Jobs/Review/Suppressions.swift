import Foundation

/// The rules of a suppressions file (``SuppressionsFile``): accepted findings, each with a
/// reason, an owner and an end date.
///
/// ```swift
/// let suppressions = try SuppressionsFile.parse(text, source: "suppressions.yaml", today: CalendarDay(now))
/// let reviewed = suppressions.apply(to: report, today: CalendarDay(now))
/// ```
///
/// A finding a rule in force accepts is marked (``Finding/suppressed``, the first such rule in
/// the file's order); it stays in every output. A rule past its day accepts nothing: its
/// findings count again and the report names it (``SuppressionsSummary/expired``). A rule that
/// ends within ``warningDays`` days is named too, and a rule in force that accepted nothing in a
/// complete run over every segment is ``SuppressionsSummary/stale`` (unless it accepts only
/// codes a deep audit finds and the run was standard).
public struct Suppressions: Sendable {
    /// How far ahead a rule's end may be: 365 days after today.
    public static let maximumLifetimeDays = 365
    /// A rule ending within 14 days is warned about.
    public static let warningDays = 14
    /// A rule that ended up to 30 days ago is reported as expired (its findings count again); one
    /// that ended longer ago makes the file invalid: renew it or remove it.
    public static let expiredGraceDays = 30

    /// The file's path or `s3://` URI.
    public var source: String
    public var rules: [SuppressionRule]

    public init(source: String, rules: [SuppressionRule]) {
        self.source = source
        self.rules = rules
    }

    /// `report` with its findings marked as the rules in force on `today` accept them, and its
    /// ``JobReport/suppressions`` summary.
    public func apply(to report: JobReport, today: CalendarDay) -> JobReport {
        var reviewed = report
        let inForce = rules.filter { $0.applies(to: report.table) && !$0.isExpired(on: today) }
        var matched: [String: Int] = [:]
        reviewed.findings = report.findings.map { finding in
            var finding = finding
            let rule = Self.acceptingRule(of: finding, in: inForce, table: report.table)
            finding.suppressed = rule?.mark
            if let rule { matched[rule.id, default: 0] += 1 }
            return finding
        }
        var summary = SuppressionsSummary(source: source, rules: rules.count, accepted: matched.values.reduce(0, +))
        summary.expired = expired(for: report.table, today: today).map(\.id)
        summary.expiringSoon = expiringSoon(for: report.table, today: today).map { .init(rule: $0.id, expires: $0.expires.description) }
        if report.isCompleteOverEverySegment {
            // A standard audit cannot find what only a deep one does: such a rule is not stale there.
            let findable = report.parameters["depth"] == AuditDepth.deep.rawValue
                ? Set(FindingCode.allCases) : Set(FindingCode.allCases).subtracting(FindingCode.deepOnly)
            summary.stale = inForce.filter { matched[$0.id] == nil && !$0.codes.isDisjoint(with: findable) }.map(\.id)
        }
        reviewed.suppressions = summary
        return reviewed
    }

    /// What a rule in force on `today` says of `finding`, found in `table`: its mark when a rule
    /// accepts it (the first in the file's order), `nil` otherwise. The continuous proofs' way
    /// (``FindingChanges``); a report's is ``apply(to:today:)``, by the same rule.
    public func acceptance(of finding: Finding, table: String, today: CalendarDay) -> Suppression? {
        Self.acceptingRule(of: finding, in: rules.filter { $0.applies(to: table) && !$0.isExpired(on: today) }, table: table)?.mark
    }

    /// The first of `inForce` that accepts `finding`.
    static func acceptingRule(of finding: Finding, in inForce: [SuppressionRule], table: String) -> SuppressionRule? {
        inForce.first { $0.matches(finding, table: table) }
    }

    /// The rules about `table` that are past their day.
    public func expired(for table: String, today: CalendarDay) -> [SuppressionRule] {
        rules.filter { $0.applies(to: table) && $0.isExpired(on: today) }
    }

    /// The rules about `table` in force that end within ``warningDays`` days.
    public func expiringSoon(for table: String, today: CalendarDay) -> [SuppressionRule] {
        rules.filter { $0.applies(to: table) && !$0.isExpired(on: today) && $0.expires - today <= Self.warningDays }
    }

    /// One line per rule about `table` that has ended or ends soon, for stderr.
    public func warnings(for table: String, today: CalendarDay) -> [String] {
        expired(for: table, today: today).map {
            "suppression rule '\($0.id)' expired on \($0.expires): the findings it accepted count again (\(source))"
        } + expiringSoon(for: table, today: today).map {
            let left = $0.expires - today
            return "suppression rule '\($0.id)' expires on \($0.expires) (\(left == 0 ? "today" : "in \(left) day\(left == 1 ? "" : "s")")): "
                + "renew it or fix what it accepts (\(source))"
        }
    }
}
