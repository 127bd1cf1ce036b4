import Foundation

/// Accepted findings in the continuous proofs (the `stream` and `key-events` handlers, `watch`):
/// the rules of the suppressions file the nightly audit reads (``Suppressions``), judged on the
/// day of each re-proof — a watch runs for days, and a rule that ends while it runs stops
/// accepting then, as it would for the next night's audit.
///
/// ```swift
/// let acceptance = FindingAcceptance(suppressions: file, table: "users", now: { settings.now() })
/// let changes = FindingChanges(open: open, proven: round.proven, coverage: coverage, acceptance: acceptance)
/// ```
public struct FindingAcceptance: Sendable {
    public var suppressions: Suppressions
    /// The table the findings are about (a rule may name one).
    public var table: String
    /// The instant expiry is judged by (`USERVAULT_NOW`, else the clock's), read at each re-proof.
    public var now: @Sendable () -> Date

    public init(suppressions: Suppressions, table: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.suppressions = suppressions
        self.table = table
        self.now = now
    }
}
