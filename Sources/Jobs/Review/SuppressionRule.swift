import UserVaultCore

/// One rule of a suppressions file: findings of these codes, for these users, keys or table,
/// accepted by `owner` for `reason` through the day `expires`.
///
/// A finding matches when its code is one of ``codes`` and every selector the rule gives agrees:
/// its user is one of ``users``, its key one of ``keys`` (ids or ARNs, compared as key ids), the
/// audited table is ``table``. A rule gives at least one selector.
public struct SuppressionRule: Sendable, Hashable {
    public var id: String
    public var codes: Set<FindingCode>
    public var users: Set<String>?
    /// Bare key ids (``KeyReference/bareKeyId(_:)``).
    public var keys: Set<String>?
    public var table: String?
    public var reason: String
    public var owner: String
    /// The last day the rule is in force (UTC).
    public var expires: CalendarDay
    /// Where the rule begins in its file (`suppressions.yaml:12:5`), for messages.
    public var location: String

    public init(id: String, codes: Set<FindingCode>, users: Set<String>? = nil, keys: Set<String>? = nil, table: String? = nil,
                reason: String, owner: String, expires: CalendarDay, location: String = "") {
        self.id = id
        self.codes = codes
        self.users = users
        self.keys = keys.map { Set($0.map(KeyReference.bareKeyId)) }
        self.table = table
        self.reason = reason
        self.owner = owner
        self.expires = expires
        self.location = location
    }

    /// Whether the rule is about `table` (it names no table, or this one).
    public func applies(to table: String) -> Bool {
        self.table.map { $0 == table } ?? true
    }

    /// Whether `finding`, found in `table`, is one this rule speaks of (expired or not).
    public func matches(_ finding: Finding, table: String) -> Bool {
        guard codes.contains(finding.code), applies(to: table) else { return false }
        if let users {
            guard let userId = finding.userId, users.contains(userId) else { return false }
        }
        if let keys {
            guard let keyId = finding.keyId, keys.contains(KeyReference.bareKeyId(keyId)) else { return false }
        }
        return true
    }

    /// Past its last day.
    public func isExpired(on today: CalendarDay) -> Bool {
        today > expires
    }

    /// What a finding it accepts carries in `report.json`.
    public var mark: Suppression {
        Suppression(rule: id, reason: reason, owner: owner, expires: expires.description)
    }
}
