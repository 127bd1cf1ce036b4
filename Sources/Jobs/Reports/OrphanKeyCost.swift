import Foundation

/// What orphan per-user CMKs cost a month, as an estimate: AWS KMS lists a customer managed key
/// at $1 a month (prorated by the hour; a key pending deletion is not charged), so each key is
/// counted at $1 per key-month. Rotations and requests are not counted: the figure is an
/// estimate, and says so. In `report.json` as `orphanKeys`.
///
/// - the deep audit (and the merge of deep workers): the `ORPHAN_KEY` findings, what they cost;
/// - `rotate-keys --mode prune-orphans`: the keys scheduled for deletion (planned, in a dry
///   run), what that saves.
public struct OrphanKeyCost: Sendable, Codable, Hashable {
    /// The list price this estimate counts with.
    public static let dollarsPerKeyMonth = 1.0

    public var keys: Int
    /// `keys` × ``pricePerKeyMonthUSD``.
    public var monthlyCostUSD: Double
    public var pricePerKeyMonthUSD: Double
    /// Always `true`: a list price, not a bill.
    public var estimate: Bool

    public init(keys: Int) {
        self.keys = keys
        pricePerKeyMonthUSD = Self.dollarsPerKeyMonth
        monthlyCostUSD = Double(keys) * Self.dollarsPerKeyMonth
        estimate = true
    }

    /// `$3`, `$1.50`: whole dollars without cents.
    public var monthlyCostText: String {
        monthlyCostUSD == monthlyCostUSD.rounded() ? "$\(Int(monthlyCostUSD))" : String(format: "$%.2f", monthlyCostUSD)
    }

    /// `about $3 a month (estimate: $1 per key-month)`.
    public var aboutText: String {
        "about \(monthlyCostText) a month (estimate: $\(JobBudgets.format(pricePerKeyMonthUSD)) per key-month)"
    }
}
