import ArchiveIO
import Foundation
import Jobs

extension JobDefinition {
    /// The typed job this definition names, its `params` read as the command's long options
    /// (`"fail-on": "high"`, `"apply": true`), without a command line in between. `reportDir`,
    /// `output`, `worker` and `checkpoint` win over the same params; with a checkpoint that
    /// exists (`resume` says otherwise), the run resumes.
    /// - Throws: ``Invalid`` naming the job, the parameter or the option at fault.
    public func request(now: Date = Date(), resume: Bool? = nil) throws -> JobRequest {
        guard Self.jobs.contains(job) else {
            throw Invalid(description: "no such job '\(job)' (jobs: \(Self.jobs.joined(separator: ", ")))")
        }
        var reader = ParameterReader(params ?? [:], stamp: Self.stamp(now))
        let request: JobRequest
        do {
            request = try read(&reader, resume: resume)
            _ = try reader.metrics()  // every job's; see ``metrics(now:)``
            try reader.finish(job: job)
            try request.validate()
        } catch let error as InvalidSetting {
            throw Invalid(description: error.description)
        }
        return request
    }

    private func read(_ reader: inout ParameterReader, resume: Bool?) throws -> JobRequest {
        let positional = arguments ?? []
        func noArguments() throws {
            guard positional.isEmpty else { throw InvalidSetting(description: "\(job) takes no arguments (got \(positional))") }
        }
        func scan() throws -> ScanSettings {
            var scan = ScanSettings()
            scan.segments = try reader.int("segments")
            scan.concurrency = try reader.int("concurrency") ?? scan.concurrency
            // Read even when the definition's own field wins, so that it is a known parameter.
            let workerParameter = try reader.string("worker")
            if let worker = worker ?? workerParameter { scan.worker = try ScanSettings.worker(parsing: worker) }
            scan.maxReadUnits = try reader.double("max-read-units")
            let checkpointParameter = try reader.string("checkpoint")
            scan.checkpoint = checkpoint ?? checkpointParameter
            scan.resume = try reader.flag("resume")
            if let checkpoint { scan.resume = scan.resume || (resume ?? FileManager.default.fileExists(atPath: checkpoint)) }
            scan.progress = try reader.choice("progress") ?? scan.progress
            return scan
        }
        func budgets() throws -> KMSBudgetSettings {
            KMSBudgetSettings(share: try reader.double("kms-share") ?? 0.5, rates: try reader.strings("kms-rate"))
        }
        func snapshot() throws -> SnapshotSettings {
            SnapshotSettings(asOf: try reader.string("as-of"), fromExport: try reader.string("from-export"),
                             staging: try reader.string("staging"), stagingKMSKey: try reader.string("staging-kms-key"),
                             wait: try reader.string("wait"))
        }
        func folder() throws -> String {
            let parameter = try reader.string("report-dir")
            return reportDir.map(reader.substitute) ?? parameter ?? "reports"
        }
        func review() throws -> ReviewSettings {
            ReviewSettings(suppressions: try reader.string("suppressions"),
                           baseline: try reader.string("baseline").map(BaselineChoice.init(argument:)) ?? .auto,
                           failWhen: try reader.choice("fail-when") ?? .any)
        }
        switch job {
        case "audit":
            try noArguments()
            return .audit(AuditSettings(scan: try scan(), budgets: try budgets(), depth: try reader.choice("depth") ?? .standard,
                                        keyState: try reader.choice("key-state") ?? .auto, reportDir: try folder(),
                                        failOn: try reader.choice("fail-on") ?? .high,
                                        publishFindings: try reader.choice("publish-findings") ?? .none, review: try review(),
                                        snapshot: try snapshot()))
        case "export":
            try noArguments()
            let (scan, format, pageSize) = (try scan(), try reader.choice("format") as ArchiveFormat?, try reader.int("page-size") ?? 1000)
            let parameter = try reader.string("output")
            guard let output = output.map(reader.substitute) ?? parameter else {
                throw InvalidSetting(description: "export needs an output (\"output\": a path or s3://bucket/key)")
            }
            return .export(ExportSettings(scan: scan, output: output, format: format, pageSize: pageSize, snapshot: try snapshot()))
        case "rotate-keys":
            try noArguments()
            let mode: RotationMode = try reader.choice("mode") ?? .enableRotation
            let olderThan = try RepairSettings.days(parsing: try reader.string("older-than") ?? "365")
            let repair = RepairSettings.Repair.rotateKeys(mode: mode, olderThanDays: olderThan,
                                                          pendingDays: try reader.int("pending-days") ?? 30,
                                                          grace: try RepairSettings.grace(parsing: try reader.string("grace") ?? "24h"))
            return .repair(RepairSettings(repair: repair, scan: try scan(), budgets: try budgets(), apply: try reader.flag("apply"),
                                          reportDir: try folder()))
        case "backfill":
            guard positional.count == 1, let name = BackfillName(choice: positional[0]) else {
                let names = BackfillName.choiceNames.joined(separator: ", ")
                throw InvalidSetting(description: "backfill takes one argument, the repair: one of \(names) (got \(positional))")
            }
            return .repair(RepairSettings(repair: .backfill(name), scan: try scan(), budgets: try budgets(),
                                          apply: try reader.flag("apply"), reportDir: try folder()))
        default:  // merge-reports
            return .mergeReports(MergeSettings(folders: positional, reportDir: try folder(), failOn: try reader.choice("fail-on") ?? .high,
                                               publishFindings: try reader.choice("publish-findings") ?? .none, review: try review()))
        }
    }
}

/// A job definition's `params`, read as the command's options: each read says what it expected,
/// and a parameter no read asked for is an error naming the nearest one that was.
struct ParameterReader {
    private let params: [String: JobDefinition.Parameter]
    private let stamp: String
    private var asked: Set<String> = []

    init(_ params: [String: JobDefinition.Parameter], stamp: String) {
        self.params = params
        self.stamp = stamp
    }

    /// `{date}` becomes the run's UTC time.
    func substitute(_ text: String) -> String {
        text.replacingOccurrences(of: "{date}", with: stamp)
    }

    private mutating func value(_ name: String) -> JobDefinition.Parameter? {
        asked.insert(name)
        return params[name]
    }

    /// Text; a number is taken as written (`"older-than": 365`).
    mutating func string(_ name: String) throws -> String? {
        switch value(name) {
        case nil: return nil
        case .string(let text): return substitute(text)
        case .number(let number): return Self.text(number)
        case .flag: throw InvalidSetting(description: "--\(name) takes a value, not true or false")
        case .list: throw InvalidSetting(description: "--\(name) takes one value, not a list")
        }
    }

    /// Text, or a list of texts (a repeatable option: `"kms-rate": ["DescribeKey=100"]` or one text).
    mutating func strings(_ name: String) throws -> [String] {
        switch value(name) {
        case nil: return []
        case .list(let texts): return texts.map(substitute)
        default: return try string(name).map { [$0] } ?? []
        }
    }

    mutating func int(_ name: String) throws -> Int? {
        guard let text = try string(name) else { return nil }
        guard let number = Int(text) else { throw InvalidSetting(description: "--\(name) takes a whole number (got '\(text)')") }
        return number
    }

    mutating func double(_ name: String) throws -> Double? {
        guard let text = try string(name) else { return nil }
        guard let number = Double(text), number.isFinite else { throw InvalidSetting(description: "--\(name) takes a number (got '\(text)')") }
        return number
    }

    mutating func flag(_ name: String) throws -> Bool {
        switch value(name) {
        case nil: return false
        case .flag(let flag): return flag
        default: throw InvalidSetting(description: "--\(name) is a flag: true or false")
        }
    }

    /// One of a closed set, as on the command line (the same type, so the same values).
    mutating func choice<Value: SettingChoice>(_ name: String) throws -> Value? {
        guard let text = try string(name) else { return nil }
        guard let value = Value(choice: text) else {
            throw InvalidSetting(description: "--\(name) must be one of \(Value.choiceNames.joined(separator: ", ")) (got '\(text)')")
        }
        return value
    }

    /// Every parameter must have been read: one that was not is a typo or belongs to another job.
    func finish(job: String) throws {
        let unknown = params.keys.filter { !asked.contains($0) }.sorted()
        guard !unknown.isEmpty else { return }
        let problems = unknown.map { name in
            let nearest = EditDistance.nearest(to: name, in: asked.sorted()).map { " (did you mean '\($0.candidate)'?)" } ?? ""
            return "'\(name)' is not a parameter of \(job)\(nearest)"
        }
        throw InvalidSetting(description: problems.joined(separator: "; "))
    }

    /// A number as an option's text: whole numbers without a fraction (`365`, not `365.0`), and
    /// those too large for an `Int` as written (`1e+19`).
    static func text(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
