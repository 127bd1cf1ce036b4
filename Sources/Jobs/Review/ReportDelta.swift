/// The `delta` section of `report.json`: what changed since the baseline, the newest earlier
/// complete report of the same table and depth (or the one `--baseline` names). A finding is
/// the same finding across runs when its id is: ``JobReport/findingId(_:)``, the OCSF
/// `finding_info.uid` (and, with account and region, the Security Hub `Id`).
///
/// ```json
/// "delta": {"baseline": {"runId": "62edbb85-…", "finished": "2026-12-05T02:14:09.512Z"},
///           "new": ["uservault/aws/users/0d7b…/KEY_DISABLED"], "resolved": [], "unchanged": 12, "reopened": []}
/// ```
///
/// `baseline` is `null` when there was no earlier report: every finding is then new and
/// nothing is resolved. A partial or `--worker` run resolves nothing (users it did not scan
/// would look fixed); such a run is never a baseline either (``JobReport/isCompleteOverEverySegment``).
public struct ReportDelta: Sendable, Hashable, Codable {
    /// The report compared with.
    public struct Baseline: Sendable, Hashable, Codable {
        public var runId: String
        /// Its `finishedAt`.
        public var finished: String

        public init(runId: String, finished: String) {
            self.runId = runId
            self.finished = finished
        }
    }

    /// `nil` (JSON `null`): no earlier report was found.
    public var baseline: Baseline?
    /// Ids of this run's findings the baseline did not have, sorted.
    public var new: [String]
    /// Ids of the baseline's findings this run no longer has, sorted; empty unless this run is
    /// complete over every segment.
    public var resolved: [String]
    /// This run's findings the baseline had too.
    public var unchanged: Int
    /// Ids of findings both runs have that the baseline had accepted and this run does not (the
    /// rule expired or was removed), sorted: they need attention again, as new ones do.
    public var reopened: [String]

    public init(baseline: Baseline?, new: [String], resolved: [String], unchanged: Int, reopened: [String] = []) {
        self.baseline = baseline
        self.new = new
        self.resolved = resolved
        self.unchanged = unchanged
        self.reopened = reopened
    }

    /// What changed from `baseline` (`nil`: none was found) to `report`.
    public static func between(_ report: JobReport, and baseline: JobReport?) -> ReportDelta {
        let current = Dictionary(report.findings.map { (report.findingId($0), $0) }, uniquingKeysWith: { first, _ in first })
        guard let baseline else {
            return ReportDelta(baseline: nil, new: current.keys.sorted(), resolved: [], unchanged: 0)
        }
        let before = Dictionary(baseline.findings.map { (baseline.findingId($0), $0) }, uniquingKeysWith: { first, _ in first })
        let new = current.keys.filter { before[$0] == nil }.sorted()
        let resolved = report.isCompleteOverEverySegment ? before.keys.filter { current[$0] == nil }.sorted() : []
        let reopened = current.filter { id, finding in finding.suppressed == nil && before[id]?.suppressed != nil }.keys.sorted()
        return ReportDelta(baseline: .init(runId: baseline.runId, finished: baseline.finishedAt), new: new, resolved: resolved,
                           unchanged: current.count - new.count, reopened: reopened)
    }

    /// A finding id's user (or key) and code: `uservault/aws/users/0d7b…/KEY_DISABLED` → (`0d7b…`,
    /// `KEY_DISABLED`), given the table's prefix (``OCSFFindings/findingUIDPrefix(backend:table:account:region:)``).
    public static func parts(of id: String, prefix: String) -> (subject: String, code: String) {
        let rest = id.hasPrefix(prefix) ? String(id.dropFirst(prefix.count)) : id
        guard let slash = rest.lastIndex(of: "/") else { return (rest, "") }
        return (String(rest[..<slash]), String(rest[rest.index(after: slash)...]))
    }

    enum CodingKeys: String, CodingKey {
        case baseline, new, resolved, unchanged, reopened
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        baseline = try container.decodeIfPresent(Baseline.self, forKey: .baseline)
        new = try container.decode([String].self, forKey: .new)
        resolved = try container.decode([String].self, forKey: .resolved)
        unchanged = try container.decode(Int.self, forKey: .unchanged)
        reopened = try container.decodeIfPresent([String].self, forKey: .reopened) ?? []
    }

    /// `baseline` is always written: `null` says no earlier report was found.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if let baseline { try container.encode(baseline, forKey: .baseline) } else { try container.encodeNil(forKey: .baseline) }
        try container.encode(new, forKey: .new)
        try container.encode(resolved, forKey: .resolved)
        try container.encode(unchanged, forKey: .unchanged)
        try container.encode(reopened, forKey: .reopened)
    }
}
