import ArgumentParser
import Foundation
import JobExecution
import Jobs

/// The scan options every scanning job takes (``ScanSettings``).
struct ScanOptions: ParsableArguments {
    @Option(help: "Parallel scan segments, 1–1,000,000 (default: from the table's size).")
    var segments: Int?

    @Option(help: "Segments in flight at once.")
    var concurrency: Int = 8

    @Option(help: ArgumentHelp("Scan only this worker's share of the segments (0-based I of M).", valueName: "I/M"))
    var worker: String?

    @Option(name: .customLong("max-read-units"), help: "Read capacity units per second at most (DynamoDB).")
    var maxReadUnits: Double?

    @Option(help: ArgumentHelp("Record progress here, page by page, to resume a killed run.", valueName: "path"))
    var checkpoint: String?

    @Flag(help: "Continue the interrupted run recorded in --checkpoint.")
    var resume = false

    @Option(help: "auto: a live progress line on a terminal, periodic log lines otherwise; always: the live line anywhere; never: neither.")
    var progress: ProgressMode = .auto

    func validate() throws {
        try InvalidSetting.asUsageError {
            if let worker { _ = try ScanSettings.worker(parsing: worker) }
            try settings.validate()
        }
    }

    /// The options as the jobs take them.
    var settings: ScanSettings {
        ScanSettings(segments: segments, concurrency: concurrency, worker: worker.flatMap(WorkerShare.init(parsing:)) ?? .whole,
                     maxReadUnits: maxReadUnits, checkpoint: checkpoint, resume: resume, progress: progress)
    }
}

extension InvalidSetting {
    /// Runs a settings check for argument-parser: a setting out of range becomes its usage
    /// error, worded as the option (the same words a job file's params get).
    static func asUsageError(_ check: () throws -> Void) throws {
        do {
            try check()
        } catch let error as InvalidSetting {
            throw ValidationError(error.description)
        }
    }
}
