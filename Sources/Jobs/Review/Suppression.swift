/// A finding's acceptance, in `report.json` (`"suppressed"`): the rule of the suppressions file
/// that accepted it, why, who accepted it and until when. An accepted finding stays in every
/// output, marked so; it does not count for `--fail-on` or the exit code.
public struct Suppression: Sendable, Hashable, Codable {
    /// The rule's `id`.
    public var rule: String
    public var reason: String
    public var owner: String
    /// `YYYY-MM-DD`: the last day the rule is in force.
    public var expires: String

    public init(rule: String, reason: String, owner: String, expires: String) {
        self.rule = rule
        self.reason = reason
        self.owner = owner
        self.expires = expires
    }
}
