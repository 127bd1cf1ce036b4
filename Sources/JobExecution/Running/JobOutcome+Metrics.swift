import Foundation
import Jobs

extension JobOutcome {
    /// The EMF lines of a job's end (``EMFMetrics``): its report's, an export's (users, parts,
    /// bytes), or for a job that ended with no outcome at all, `Complete` 0 alone, so that an
    /// alarm on an incomplete run sees it.
    public static func emfLines(_ outcome: JobOutcome?, job: String, table: String, at date: Date = Date()) -> [String] {
        switch outcome {
        case .report(let outcome)?:
            // The job that ran: a merge's report is an audit's, its metrics are merge-reports' (the
            // template's nightly alarms read Job=merge-reports).
            return EMFMetrics.lines(for: outcome.report, job: outcome.job, at: date)
        case .export(let outcome)?:
            return [EMFMetrics.line(job: job, table: table, runId: outcome.runId, metrics: [
                .init("Users", .count, Double(outcome.users)), .init("Parts", .count, Double(outcome.parts)),
                .init("Bytes", .bytes, Double(outcome.bytes)), .init("Complete", .none, 1),
            ], at: date)]
        case nil:
            return [EMFMetrics.line(job: job, table: table, runId: nil, metrics: [.init("Complete", .none, 0)], at: date)]
        }
    }
}

extension MetricsSettings {
    /// Writes the job's metrics as asked: nothing, or EMF lines on stdout or appended to the file.
    /// - Throws: ``JobExit`` when the file cannot be written.
    public func write(_ outcome: JobOutcome?, job: String, table: String) throws {
        guard format == .emf else { return }
        let lines = JobOutcome.emfLines(outcome, job: job, table: table)
        guard let file else { return Self.writeToStandardOutput(lines) }
        do {
            if !FileManager.default.fileExists(atPath: file) {
                guard FileManager.default.createFile(atPath: file, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
        } catch {
            throw JobExit.failure("cannot write the metrics to \(file): \(ErrorLine.of(error))")
        }
    }

    /// One write per line, so that a line is never split by another writer of the same stream.
    public static func writeToStandardOutput(_ lines: [String]) {
        for line in lines { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    }
}
