import Foundation
import Jobs

/// A job definition (`jobs/*.json`): the job, its parameters, where its report and output go.
/// `uservault run JOBFILE` runs one from cron or systemd; the same content is the EventBridge
/// target input of the Lambda job function, and a Step Functions state passes the same shape
/// with `worker` and `checkpoint` added.
///
/// ```json
/// {"job": "audit", "params": {"depth": "standard", "segments": 16}, "reportDir": "reports"}
/// ```
///
/// `params` are the command's long options (`"fail-on": "high"`); `true` is a bare flag; a list
/// repeats an option (`"kms-rate": ["DescribeKey=100", "Cryptographic=500"]`).
/// `{date}` in `reportDir` or `output` becomes the run's UTC time (`20261129T020000Z`).
public struct JobDefinition: Codable, Sendable {
    /// The command: `audit`, `export`, `rotate-keys`, `backfill`, or `merge-reports` (the report
    /// folders of a fan-out's workers as `arguments`).
    public var job: String
    public var description: String?
    /// Positional arguments (the backfill's NAME).
    public var arguments: [String]?
    public var params: [String: Parameter]?
    public var reportDir: String?
    /// Where the export writes (a path or `s3://bucket/key`).
    public var output: String?
    /// `I/M`: this worker's share of the segments.
    public var worker: String?
    /// The run state: resumed when it exists.
    public var checkpoint: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case job, description, arguments, params, reportDir, output, worker, checkpoint
    }

    public static let jobs = ["audit", "export", "rotate-keys", "backfill", "merge-reports"]

    /// The nightly audit: what a scheduled event without input runs.
    public static let nightlyAudit = JobDefinition(
        job: "audit", description: "Nightly audit (standard depth).", params: ["depth": .string("standard")])

    /// A parameter value: text, a number, a flag, or texts (a repeatable option such as `kms-rate`).
    public enum Parameter: Codable, Sendable, Equatable {
        case string(String)
        case number(Double)
        case flag(Bool)
        case list([String])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                self = .flag(flag)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let texts = try? container.decode([String].self) {
                self = .list(texts)
            } else {
                self = .string(try container.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let text): try container.encode(text)
            case .number(let number): try container.encode(number)
            case .flag(let flag): try container.encode(flag)
            case .list(let texts): try container.encode(texts)
            }
        }
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(_ path: String) throws -> JobDefinition {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Invalid(description: "cannot read the job file \(path)")
        }
        return try decode(data, source: path)
    }

    /// Decodes a definition; a key it does not know (a typo: `reportdir`, `chekpoint`) is an
    /// error naming the nearest known key, not a setting silently ignored.
    public static func decode(_ data: Data, source: String) throws -> JobDefinition {
        if let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            try checkKeys(object.keys, source: source)
        }
        do {
            return try JSONDecoder().decode(JobDefinition.self, from: data)
        } catch {
            throw Invalid(description: "\(source) is not a job definition ({\"job\", \"params\", ...}): \(error)")
        }
    }

    static func checkKeys(_ keys: some Collection<String>, source: String) throws {
        let known = CodingKeys.allCases.map(\.rawValue)
        let unknown = keys.filter { !known.contains($0) }.sorted()
        guard !unknown.isEmpty else { return }
        let problems = unknown.map { key in
            let nearest = EditDistance.nearest(to: key, in: known).map { " (did you mean '\($0.candidate)'?)" } ?? ""
            return "unknown key '\(key)'\(nearest)"
        }
        throw Invalid(description: "\(source): " + problems.joined(separator: "; "))
    }

    /// The command line equivalent to this definition (without the program name), for people
    /// (`run --dry-run`); the job itself runs from ``request(now:resume:)``, not from this.
    public func commandLine(now: Date = Date(), resume: Bool? = nil) throws -> [String] {
        guard Self.jobs.contains(job) else {
            throw Invalid(description: "no such job '\(job)' (jobs: \(Self.jobs.joined(separator: ", ")))")
        }
        let stamp = Self.stamp(now)
        var line = [job] + (arguments ?? [])
        for (name, value) in (params ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard name.range(of: "^[a-z][a-z0-9-]*$", options: .regularExpression) != nil else {
                throw Invalid(description: "parameter '\(name)' is not an option name (lower-case, dashes)")
            }
            switch value {
            case .flag(true): line.append("--\(name)")
            case .flag(false): break
            case .number(let number):
                line += ["--\(name)", ParameterReader.text(number)]
            case .string(let text): line += ["--\(name)", text.replacingOccurrences(of: "{date}", with: stamp)]
            case .list(let texts): for text in texts { line += ["--\(name)", text.replacingOccurrences(of: "{date}", with: stamp)] }
            }
        }
        if let reportDir { line += ["--report-dir", reportDir.replacingOccurrences(of: "{date}", with: stamp)] }
        if let output { line += ["--output", output.replacingOccurrences(of: "{date}", with: stamp)] }
        if let worker { line += ["--worker", worker] }
        if let checkpoint {
            line += ["--checkpoint", checkpoint]
            if resume ?? FileManager.default.fileExists(atPath: checkpoint) { line.append("--resume") }
        }
        return line
    }

    public static func stamp(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "UTC")!,
                                    formatOptions: [.withYear, .withMonth, .withDay, .withTime]) + "Z"
    }
}
