/// The `suppressions` section of `report.json`: the file the run was reviewed with and what its
/// rules did. Absent when no file was given.
public struct SuppressionsSummary: Sendable, Hashable, Codable {
    /// A rule that ends soon.
    public struct Expiring: Sendable, Hashable, Codable {
        public var rule: String
        /// `YYYY-MM-DD`.
        public var expires: String

        public init(rule: String, expires: String) {
            self.rule = rule
            self.expires = expires
        }
    }

    /// The file: its path or `s3://` URI.
    public var source: String
    /// Rules in the file.
    public var rules: Int
    /// Findings of this report that a rule accepted.
    public var accepted: Int
    /// Rules past their `expires` day, by id: they accept nothing any more, their findings count again.
    public var expired: [String]
    /// Rules in force that end within ``Suppressions/warningDays`` days.
    public var expiringSoon: [Expiring]
    /// Rules in force for this table that accepted nothing in a complete run over every segment:
    /// what they accepted is gone (or the rule never matched).
    public var stale: [String]

    public init(source: String, rules: Int, accepted: Int = 0, expired: [String] = [], expiringSoon: [Expiring] = [],
                stale: [String] = []) {
        self.source = source
        self.rules = rules
        self.accepted = accepted
        self.expired = expired
        self.expiringSoon = expiringSoon
        self.stale = stale
    }
}
