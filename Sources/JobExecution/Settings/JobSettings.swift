import ArchiveIO
import Foundation
import Jobs

/// A setting out of range, worded as the option it comes from (`--segments must be 1–1,000,000`):
/// the command line and a job file's `params` say it the same way.
public struct InvalidSetting: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// The scan every scanning job runs (`--segments`, `--worker`, `--checkpoint`, ...).
public struct ScanSettings: Sendable, Equatable {
    public var segments: Int?
    public var concurrency = 8
    public var worker: WorkerShare = .whole
    public var maxReadUnits: Double?
    public var checkpoint: String?
    public var resume = false
    public var progress: ProgressMode = .auto

    public init(segments: Int? = nil, concurrency: Int = 8, worker: WorkerShare = .whole, maxReadUnits: Double? = nil,
                checkpoint: String? = nil, resume: Bool = false, progress: ProgressMode = .auto) {
        self.segments = segments
        self.concurrency = concurrency
        self.worker = worker
        self.maxReadUnits = maxReadUnits
        self.checkpoint = checkpoint
        self.resume = resume
        self.progress = progress
    }

    public func validate() throws {
        if let segments, !(1...1_000_000).contains(segments) { throw InvalidSetting(description: "--segments must be 1–1,000,000") }
        guard (1...1024).contains(concurrency) else { throw InvalidSetting(description: "--concurrency must be 1–1024") }
        if let maxReadUnits, maxReadUnits <= 0 { throw InvalidSetting(description: "--max-read-units must be positive") }
        if resume && checkpoint == nil { throw InvalidSetting(description: "--resume needs --checkpoint PATH") }
    }

    /// `--segments`, or about one segment per 50,000 items (at least one per worker), at most 1,000.
    func totalSegments(itemCount: Int?) -> Int {
        if let segments { return segments }
        let derived = ((itemCount ?? 0) + 49_999) / 50_000
        return min(1000, max(derived, worker.count, 1))
    }

    public static func worker(parsing text: String) throws -> WorkerShare {
        guard let share = WorkerShare(parsing: text) else { throw InvalidSetting(description: "--worker must be I/M with 0 <= I < M") }
        return share
    }
}

/// The KMS request budgets of a job that calls KMS (`--kms-share`, `--kms-rate`).
public struct KMSBudgetSettings: Sendable, Equatable {
    public var share = 0.5
    /// `NAME=N` each.
    public var rates: [String] = []

    public init(share: Double = 0.5, rates: [String] = []) {
        self.share = share
        self.rates = rates
    }

    public func validate() throws {
        guard share > 0, share <= 1 else { throw InvalidSetting(description: "--kms-share must be more than 0 and at most 1") }
        for rate in rates where KMSRateLimits.parseOverride(rate) == nil {
            throw InvalidSetting(description: "--kms-rate takes NAME=N, e.g. DescribeKey=100 (got '\(rate)')")
        }
    }

    var overrides: [String: Double] {
        Dictionary(rates.compactMap(KMSRateLimits.parseOverride), uniquingKeysWith: { $1 })
    }
}

/// How an audit's report is reviewed before it is delivered (`audit`, `merge-reports`):
/// `--suppressions`, `--baseline`, `--fail-when`.
public struct ReviewSettings: Sendable, Equatable {
    /// The suppressions file: a path or `s3://bucket/key`; `nil`: `USERVAULT_SUPPRESSIONS`, else none.
    public var suppressions: String?
    public var baseline: BaselineChoice = .auto
    public var failWhen: FailWhen = .any

    public init(suppressions: String? = nil, baseline: BaselineChoice = .auto, failWhen: FailWhen = .any) {
        self.suppressions = suppressions
        self.baseline = baseline
        self.failWhen = failWhen
    }

    public func validate() throws {
        if failWhen == .new, baseline == .none {
            throw InvalidSetting(description: "--fail-when new counts what is new since a baseline: not with --baseline none")
        }
        if let suppressions, suppressions.hasPrefix("s3://"), S3Output.parse(suppressions) == nil {
            throw InvalidSetting(description: "--suppressions s3://bucket/key needs a bucket and a key")
        }
        if case .report(let path) = baseline, path.hasPrefix("s3://"), S3Output.parse(path, prefix: true) == nil {
            throw InvalidSetting(description: "--baseline s3://bucket/prefix/audit/<stamp>-<runId> needs a bucket")
        }
    }
}

/// `--baseline`: what an audit's report is compared with.
public enum BaselineChoice: Sendable, Equatable {
    /// The newest earlier complete report of the same table and depth in the report destination.
    case auto
    /// No comparison: the report has no `delta`.
    case none
    /// That report: its folder or its `report.json`, a path or an `s3://` URI.
    case report(String)

    public init(argument: String) {
        switch argument {
        case "auto": self = .auto
        case "none": self = .none
        default: self = .report(argument)
        }
    }

    public var defaultValueDescription: String {
        switch self {
        case .auto: "auto"
        case .none: "none"
        case .report(let path): path
        }
    }
}

/// `uservault audit`.
public struct AuditSettings: Sendable, Equatable {
    public var scan = ScanSettings()
    public var budgets = KMSBudgetSettings()
    public var depth: AuditDepth = .standard
    public var keyState: KeyStateChoice = .auto
    public var reportDir = "reports"
    public var failOn: Severity = .high
    public var publishFindings: FindingsTarget = .none
    public var review = ReviewSettings()
    /// `--as-of` / `--from-export`.
    public var snapshot = SnapshotSettings()

    public init(scan: ScanSettings = ScanSettings(), budgets: KMSBudgetSettings = KMSBudgetSettings(), depth: AuditDepth = .standard,
                keyState: KeyStateChoice = .auto, reportDir: String = "reports", failOn: Severity = .high,
                publishFindings: FindingsTarget = .none, review: ReviewSettings = ReviewSettings(),
                snapshot: SnapshotSettings = SnapshotSettings()) {
        self.scan = scan
        self.budgets = budgets
        self.depth = depth
        self.keyState = keyState
        self.reportDir = reportDir
        self.failOn = failOn
        self.publishFindings = publishFindings
        self.review = review
        self.snapshot = snapshot
    }

    public func validate() throws {
        try scan.validate()
        try budgets.validate()
        try review.validate()
        try snapshot.validate()
        try snapshot.check(scan)
    }
}

/// `uservault export`.
public struct ExportSettings: Sendable, Equatable {
    public var scan = ScanSettings()
    public var output: String
    public var format: ArchiveFormat?
    public var pageSize = 1000
    /// `--as-of` / `--from-export`.
    public var snapshot = SnapshotSettings()

    public init(scan: ScanSettings = ScanSettings(), output: String, format: ArchiveFormat? = nil, pageSize: Int = 1000,
                snapshot: SnapshotSettings = SnapshotSettings()) {
        self.scan = scan
        self.output = output
        self.format = format
        self.pageSize = pageSize
        self.snapshot = snapshot
    }

    public func validate() throws {
        try scan.validate()
        try snapshot.validate()
        try snapshot.check(scan)
        guard (1...10_000).contains(pageSize) else { throw InvalidSetting(description: "--page-size must be 1–10,000") }
        if output.hasPrefix("s3://"), S3Output.parse(output) == nil {
            throw InvalidSetting(description: "--output s3://bucket/key needs a bucket and a key")
        }
        guard !output.isEmpty, !output.hasSuffix("/") else { throw InvalidSetting(description: "--output must name a file") }
    }

    /// `--format`, else the output's extension, else tar.gz.
    var archiveFormat: ArchiveFormat {
        if let format { return format }
        let name = output.lowercased()
        if name.hasSuffix(".tar.zst") || name.hasSuffix(".tzst") { return .tarZst }
        if name.hasSuffix(".zip") { return .zip }
        return .tarGz
    }
}

/// `uservault rotate-keys` and `uservault backfill`: a repair over every user.
public struct RepairSettings: Sendable, Equatable {
    public enum Repair: Sendable, Equatable {
        /// `grace`: prune-orphans leaves keys younger than this alone.
        case rotateKeys(mode: RotationMode, olderThanDays: Int, pendingDays: Int, grace: Duration = .seconds(86_400))
        case backfill(BackfillName)
    }

    public var repair: Repair
    public var scan = ScanSettings()
    public var budgets = KMSBudgetSettings()
    public var apply = false
    public var reportDir = "reports"

    public init(repair: Repair, scan: ScanSettings = ScanSettings(), budgets: KMSBudgetSettings = KMSBudgetSettings(),
                apply: Bool = false, reportDir: String = "reports") {
        self.repair = repair
        self.scan = scan
        self.budgets = budgets
        self.apply = apply
        self.reportDir = reportDir
    }

    /// The job's name, in reports and messages.
    var label: String {
        switch repair {
        case .rotateKeys: "rotate-keys"
        case .backfill: "backfill"
        }
    }

    public func validate() throws {
        try scan.validate()
        try budgets.validate()
        if case .rotateKeys(let mode, let olderThanDays, let pendingDays, _) = repair {
            guard (7...30).contains(pendingDays) else { throw InvalidSetting(description: "--pending-days must be 7–30 (KMS's range)") }
            guard olderThanDays >= 0 else { throw InvalidSetting(description: "--older-than takes a number of days (365 or 365d)") }
            if mode == .pruneOrphans, scan.worker != .whole {
                throw InvalidSetting(description: "--mode prune-orphans scans the whole table in one run: it takes no --worker")
            }
        }
    }

    /// `--grace`: `24h`, `90m`, `2d`, `30s`.
    public static func grace(parsing text: String) throws -> Duration {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count >= 0,
              count <= Int64.max / unit / 1_000 else {
            throw InvalidSetting(description: "--grace takes a duration such as 24h, 90m or 2d (got '\(text)')")
        }
        return .seconds(count * unit)
    }

    /// `--older-than`: `365` or `365d`.
    public static func days(parsing text: String) throws -> Int {
        guard let days = Int(text.hasSuffix("d") ? String(text.dropLast()) : text), days >= 0 else {
            throw InvalidSetting(description: "--older-than takes a number of days (365 or 365d)")
        }
        return days
    }
}

/// `uservault merge-reports`.
public struct MergeSettings: Sendable, Equatable {
    public var folders: [String]
    public var reportDir = "reports"
    public var failOn: Severity = .high
    public var publishFindings: FindingsTarget = .none
    public var review = ReviewSettings()

    public init(folders: [String], reportDir: String = "reports", failOn: Severity = .high, publishFindings: FindingsTarget = .none,
                review: ReviewSettings = ReviewSettings()) {
        self.folders = folders
        self.reportDir = reportDir
        self.failOn = failOn
        self.publishFindings = publishFindings
        self.review = review
    }

    public func validate() throws {
        guard !folders.isEmpty else { throw InvalidSetting(description: "name the report folders of the worker runs") }
        try review.validate()
    }
}

/// One job, typed: what the command line, a job file, the demo and the Lambda handler run.
public enum JobRequest: Sendable, Equatable {
    case audit(AuditSettings)
    case export(ExportSettings)
    case repair(RepairSettings)
    case mergeReports(MergeSettings)

    public var name: String {
        switch self {
        case .audit: "audit"
        case .export: "export"
        case .repair(let settings): settings.label
        case .mergeReports: "merge-reports"
        }
    }

    public func validate() throws {
        switch self {
        case .audit(let settings): try settings.validate()
        case .export(let settings): try settings.validate()
        case .repair(let settings): try settings.validate()
        case .mergeReports(let settings): try settings.validate()
        }
    }
}
