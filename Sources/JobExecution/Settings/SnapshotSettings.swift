import Foundation
import Jobs

/// The item source of `export` and `audit`: the live table (nothing set), a new export as of an
/// instant (`--as-of`), or an existing export (`--from-export`).
public struct SnapshotSettings: Sendable, Equatable {
    public var asOf: String?
    public var fromExport: String?
    public var staging: String?
    public var stagingKMSKey: String?
    public var wait: String?

    public init(asOf: String? = nil, fromExport: String? = nil, staging: String? = nil, stagingKMSKey: String? = nil, wait: String? = nil) {
        self.asOf = asOf
        self.fromExport = fromExport
        self.staging = staging
        self.stagingKMSKey = stagingKMSKey
        self.wait = wait
    }

    /// Whether the items come from a DynamoDB export.
    var isSet: Bool { asOf != nil || fromExport != nil }

    /// What `--from-export` names.
    enum ExistingExport: Equatable {
        case folder(bucket: String, folder: String)
        case arn(String)
    }

    func validate() throws {
        if asOf != nil && fromExport != nil { throw InvalidSetting(description: "--as-of and --from-export exclude each other") }
        if let asOf { _ = try Self.instant(asOf) }
        if asOf != nil {
            guard let staging else { throw InvalidSetting(description: "--as-of needs --staging s3://bucket/prefix (where DynamoDB writes the export)") }
            guard Self.s3Location(staging) != nil else { throw InvalidSetting(description: "--staging takes s3://bucket/prefix") }
        } else {
            if staging != nil { throw InvalidSetting(description: "--staging goes with --as-of") }
            if stagingKMSKey != nil { throw InvalidSetting(description: "--staging-kms-key goes with --as-of") }
        }
        if let fromExport, existing(fromExport) == nil {
            throw InvalidSetting(description: "--from-export takes s3://bucket/prefix/AWSDynamoDB/<ExportId>/ or an export's ARN")
        }
        if let wait {
            guard isSet else { throw InvalidSetting(description: "--wait goes with --as-of or --from-export") }
            _ = try Self.duration(wait)
        }
    }

    /// The scan options that do not apply to an export: its data files are the segments.
    func check(_ scan: ScanSettings) throws {
        if isSet && scan.segments != nil {
            throw InvalidSetting(description: "--segments does not apply to --as-of or --from-export: the export's data files are the segments")
        }
        if isSet && scan.maxReadUnits != nil {
            throw InvalidSetting(description: "--max-read-units does not apply to --as-of or --from-export: an export spends no read capacity")
        }
    }

    /// `--as-of`: `nil` for now (DynamoDB then takes the current time).
    var instant: Date? {
        get throws { try asOf.flatMap { try Self.instant($0) } }
    }

    var waitLimit: Duration? {
        get throws { try wait.map(Self.duration) }
    }

    var existingExport: ExistingExport? { fromExport.flatMap(existing) }

    private func existing(_ text: String) -> ExistingExport? {
        if text.hasPrefix("arn:"), text.contains(":dynamodb:"), text.contains("/export/") || text.contains("/import/") {
            return .arn(text)
        }
        guard let location = Self.s3Location(text), !location.prefix.isEmpty else { return nil }
        return .folder(bucket: location.bucket, folder: location.prefix.hasSuffix("/") ? location.prefix : location.prefix + "/")
    }

    /// What makes a run's identity (its checkpoint): the option as written, so `now` resumed is
    /// the export the first run asked for, not a new instant.
    var fingerprintParameters: [String: String] {
        var parameters: [String: String] = [:]
        if let asOf { parameters["asOf"] = asOf }
        if let fromExport { parameters["fromExport"] = fromExport }
        if let staging { parameters["staging"] = staging }
        return parameters
    }

    /// RFC 3339 (with or without fractional seconds), `midnight` (the last 00:00:00 UTC: a
    /// scheduled job's "as of the previous midnight"), or `now` (`nil`).
    static func instant(_ text: String, now: Date = Date()) throws -> Date? {
        if text == "now" { return nil }
        if text == "midnight" {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return calendar.startOfDay(for: now)
        }
        guard let date = ExportProvenance.date(text) else {
            throw InvalidSetting(description: "--as-of takes an RFC 3339 instant (2026-11-30T00:00:00Z), midnight or now (got '\(text)')")
        }
        return date
    }

    /// `90s`, `30m`, `2h`, or seconds.
    static func duration(_ text: String) throws -> Duration {
        let units: [(String, Int)] = [("h", 3600), ("m", 60), ("s", 1)]
        let unit = units.first { text.hasSuffix($0.0) }
        let number = unit.map { String(text.dropLast($0.0.count)) } ?? text
        guard let value = Int(number), value >= 0 else {
            throw InvalidSetting(description: "--wait takes a duration: 90s, 30m, 2h (got '\(text)')")
        }
        return .seconds(value * (unit?.1 ?? 1))
    }

    /// `s3://bucket/prefix` → (bucket, prefix without a leading or trailing `/`... kept as written).
    static func s3Location(_ text: String) -> (bucket: String, prefix: String)? {
        guard text.hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst("s3://".count)
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else { return nil }
        return (String(bucket), String(rest.dropFirst(bucket.count + 1)))
    }
}
