import ArgumentParser
import Foundation

/// `--metrics`: how a job's metrics are written.
enum MetricsFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case none
    /// CloudWatch Embedded Metric Format: one JSON object per line.
    case emf
}

/// Where a job's metrics go (`--metrics`, `--metrics-file`, or a job file's `metrics`, `metrics-file`).
struct MetricsSettings: Sendable, Equatable {
    var format: MetricsFormat = .none
    /// The file the lines are appended to; `nil`: stdout.
    var file: String?

    /// `--metrics-file` alone means EMF.
    init(format: MetricsFormat? = nil, file: String? = nil) {
        self.format = format ?? (file == nil ? .none : .emf)
        self.file = file
    }

    /// Checked before the job runs: the file is absent in an existing folder (it will be
    /// created), or a regular file that is empty or already holds EMF lines (its first line a JSON
    /// object with `_aws`). Anything else is someone else's file, and stays untouched.
    func validate() throws {
        guard let file else { return }
        let url = URL(fileURLWithPath: file)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            guard FileManager.default.fileExists(atPath: url.deletingLastPathComponent().path, isDirectory: &isDirectory),
                  isDirectory.boolValue
            else { throw InvalidSetting(description: "--metrics-file \(file): its folder does not exist") }
            return
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: file)
        guard !isDirectory.boolValue, attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw InvalidSetting(description: "--metrics-file \(file) is not a regular file")
        }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw InvalidSetting(description: "--metrics-file \(file) cannot be read")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64 * 1024)) ?? Data()
        guard let firstLine = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first,
              !firstLine.isEmpty else { return }
        guard let object = try? JSONSerialization.jsonObject(with: Data(firstLine)) as? [String: Any], object["_aws"] != nil else {
            throw InvalidSetting(description: "--metrics-file \(file) holds something other than EMF lines: not appending to it")
        }
    }
}

/// The metrics options of every job that ends with a report or an archive (`audit`, `export`,
/// `rotate-keys`, `backfill`, `merge-reports`, `run`).
struct MetricsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("emf: write the job's metrics in CloudWatch Embedded Metric Format (namespace UserVault, dimensions Table and Job; users scanned, verified, findings by severity and by code, DynamoDB and KMS requests, retries, throttles, duration, complete 0/1), one JSON object per line on stdout before the summary. none: no metrics. On Lambda a job always writes them to stdout."))
    var metrics: MetricsFormat?

    @Option(name: .customLong("metrics-file"),
            help: ArgumentHelp("Append the EMF lines to this file instead of stdout (for the CloudWatch agent to ship); implies --metrics emf. The file must be absent (in an existing folder), empty, or hold EMF lines: anything else is refused before the job runs.",
                               valueName: "path"))
    var metricsFile: String?

    /// The options as the jobs take them; `definition` (a job file's) gives what the options do not.
    func settings(over definition: MetricsSettings = .init()) -> MetricsSettings {
        guard metrics != nil || metricsFile != nil else { return definition }
        return MetricsSettings(format: metrics, file: metricsFile)
    }
}

extension ParameterReader {
    /// A job file's `metrics` and `metrics-file`.
    mutating func metrics() throws -> MetricsSettings {
        MetricsSettings(format: try choice("metrics"), file: try string("metrics-file"))
    }
}

extension JobDefinition {
    /// The metrics its `params` ask for (`"metrics": "emf"`, `"metrics-file": "path"`).
    func metrics(now: Date = Date()) throws -> MetricsSettings {
        var reader = ParameterReader(params ?? [:], stamp: Self.stamp(now))
        do {
            return try reader.metrics()
        } catch let error as InvalidSetting {
            throw Invalid(description: error.description)
        }
    }
}
