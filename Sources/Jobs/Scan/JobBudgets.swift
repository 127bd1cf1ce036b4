import Foundation

/// The request budgets one process of a job works under, and where they came from: shown in
/// `report.json` `parameters`, in `report.md` and on the progress line.
///
/// The account's quotas are shared — by every worker of a fan-out and by production traffic — so
/// the defaults are a share of them: `--kms-share F` of each default KMS quota for the whole job
/// (each of M workers takes F/M), and half a provisioned table's read capacity (split the same
/// way), as the EMR/Glue DynamoDB connector does. `--kms-rate NAME=N` and `--max-read-units R`
/// set absolute per-process rates instead.
///
/// ```swift
/// let budgets = JobBudgets(kmsShare: 0.5, workers: 4, quotas: .awsDefaults, overrides: [:],
///                          provisionedReadUnits: 1000, maxReadUnits: nil)
/// budgets.kms.perSecond["DescribeKey"]   // 250: 2,000 × 0.5 / 4
/// budgets.readUnitsPerSecond             // 125: 1,000 × 0.5 / 4
/// ```
public struct JobBudgets: Sendable, Hashable {
    /// The share of a provisioned table's read capacity a whole job takes by default.
    public static let defaultReadShare = 0.5

    /// The fraction of the account's default KMS quotas the whole job may use, when the KMS
    /// limits came from it (`nil` where there are no quotas, e.g. the embedded store).
    public var kmsShare: Double?
    /// This process's KMS request limits, per quota.
    public var kms: KMSRateLimits
    /// This process's read capacity units per second; `nil`: not capped.
    public var readUnitsPerSecond: Double?

    public init(kmsShare: Double? = nil, kms: KMSRateLimits = .none, readUnitsPerSecond: Double? = nil) {
        self.kmsShare = kmsShare
        self.kms = kms
        self.readUnitsPerSecond = readUnitsPerSecond
    }

    /// The budgets of one of `workers` processes.
    ///
    /// - Parameters:
    ///   - quotas: the account's quotas (``KMSRateLimits/awsDefaults`` on AWS; `nil`: none).
    ///   - overrides: `--kms-rate` (absolute per process; 0 lifts a limit).
    ///   - provisionedReadUnits: the table's provisioned read capacity (`nil`: on demand).
    ///   - maxReadUnits: `--max-read-units` (absolute per process).
    public init(kmsShare: Double, workers: Int, quotas: KMSRateLimits?, overrides: [String: Double],
                provisionedReadUnits: Double?, maxReadUnits: Double?) {
        let perWorker = 1 / Double(max(1, workers))
        self.kmsShare = quotas == nil ? nil : kmsShare
        kms = (quotas?.scaled(by: kmsShare * perWorker) ?? .none).overriding(overrides)
        readUnitsPerSecond = maxReadUnits ?? provisionedReadUnits.map { $0 * Self.defaultReadShare * perWorker }
    }

    /// For `report.json` `parameters`: `kmsShare` (when it applies), `kmsBudget`
    /// (`NAME=N,...` or `none`), `readBudget` (units per second or `none`).
    public var parameters: [String: String] {
        var parameters = ["kmsBudget": kms.description, "readBudget": readUnitsPerSecond.map(Self.format) ?? "none"]
        if let kmsShare { parameters["kmsShare"] = Self.format(kmsShare) }
        return parameters
    }

    /// One line for people: `KMS Cryptographic=1375/s, DescribeKey=500/s (0.5 of the account's quotas); reads 25 RCU/s`.
    public var summary: String {
        let kmsPart = kms.perSecond.isEmpty ? "KMS not limited"
            : "KMS " + kms.perSecond.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.format($0.value))/s" }.joined(separator: ", ")
                + (kmsShare.map { " (\(Self.format($0)) of the account's quotas)" } ?? "")
        return kmsPart + "; reads " + (readUnitsPerSecond.map { "\(Self.format($0)) RCU/s" } ?? "not capped")
    }

    /// `1375`, `0.5`, `333.333`: at most three decimals, no trailing zeros.
    static func format(_ value: Double) -> String {
        if value == value.rounded() { return String(Int(value)) }
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
