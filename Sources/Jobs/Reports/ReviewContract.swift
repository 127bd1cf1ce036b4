// STAND-IN (issue #24, html part): the types of the review part's contract (i24-common.md), with
// its JSON names, so that report.html can be built and tested against them before the parts are
// merged. The review part owns them and fills them (suppressions, --baseline); at the merge its
// definitions replace this file.

/// Why a finding is accepted: the suppressions rule that matched it (`report.json`
/// `findings[].suppressed`).
public struct Suppression: Sendable, Hashable, Codable {
    public var rule: String
    public var reason: String
    public var owner: String
    /// `YYYY-MM-DD`.
    public var expires: String

    public init(rule: String, reason: String, owner: String, expires: String) {
        self.rule = rule
        self.reason = reason
        self.owner = owner
        self.expires = expires
    }
}

/// The suppressions file a run applied (`report.json` `suppressions`).
public struct SuppressionsSummary: Sendable, Hashable, Codable {
    public struct Expiring: Sendable, Hashable, Codable {
        public var rule: String
        public var expires: String

        public init(rule: String, expires: String) {
            self.rule = rule
            self.expires = expires
        }
    }

    public var source: String
    public var rules: Int
    public var accepted: Int
    public var expired: [String]
    public var expiringSoon: [Expiring]
    public var stale: [String]

    public init(source: String, rules: Int, accepted: Int, expired: [String] = [], expiringSoon: [Expiring] = [],
                stale: [String] = []) {
        self.source = source
        self.rules = rules
        self.accepted = accepted
        self.expired = expired
        self.expiringSoon = expiringSoon
        self.stale = stale
    }
}

/// What changed since the baseline run (`report.json` `delta`); finding ids are
/// ``OCSFFindings/findingUID(_:backend:table:account:region:)``.
public struct ReportDelta: Sendable, Hashable, Codable {
    public struct Baseline: Sendable, Hashable, Codable {
        public var runId: String
        public var finished: String

        public init(runId: String, finished: String) {
            self.runId = runId
            self.finished = finished
        }
    }

    /// `nil` (JSON `null`): no earlier report was found; every finding is new.
    public var baseline: Baseline?
    public var new: [String]
    public var resolved: [String]
    public var unchanged: Int

    public init(baseline: Baseline?, new: [String], resolved: [String], unchanged: Int) {
        self.baseline = baseline
        self.new = new
        self.resolved = resolved
        self.unchanged = unchanged
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(baseline, forKey: .baseline)
        try container.encode(new, forKey: .new)
        try container.encode(resolved, forKey: .resolved)
        try container.encode(unchanged, forKey: .unchanged)
    }
}
