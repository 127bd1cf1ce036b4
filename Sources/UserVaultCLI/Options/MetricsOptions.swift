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
}

/// The metrics options of every job that ends with a report or an archive (`audit`, `export`,
/// `rotate-keys`, `backfill`, `merge-reports`, `run`).
struct MetricsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("emf: write the job's metrics in CloudWatch Embedded Metric Format (namespace UserVault, dimensions Table and Job; users scanned, verified, findings by severity and by code, DynamoDB and KMS requests, retries, throttles, duration, complete 0/1), one JSON object per line on stdout before the summary. none: no metrics. On Lambda a job always writes them to stdout."))
    var metrics: MetricsFormat?

    @Option(name: .customLong("metrics-file"),
            help: ArgumentHelp("Append the EMF lines to this file instead of stdout (for the CloudWatch agent to ship); implies --metrics emf.",
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
