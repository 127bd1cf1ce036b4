import ArgumentParser
import Foundation
import JobExecution

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
