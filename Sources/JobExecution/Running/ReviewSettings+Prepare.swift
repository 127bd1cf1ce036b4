import AWSClients
import Foundation
import Jobs
import Logging

extension ReviewSettings {
    /// The review of an audit's report, made ready before anything is scanned or merged: the
    /// suppressions file read and checked against `today`, and the baseline loaded (`auto`: from
    /// `destination`'s history). Whatever is wrong with them is one line, exit 2, before the
    /// backend is opened.
    ///
    /// - Parameters:
    ///   - today: the job's day, read once when it starts (`USERVAULT_NOW`, else the clock: ``Settings/now()``).
    ///   - backend, table, depth: the audit's (`report.json` `backend`, `table`, `parameters.depth`).
    ///   - runId: this run's id, never its own baseline (a resumed run's earlier partial report).
    ///   - alreadyRead: the suppressions file as ``suppressionsFile(_:)`` read it, when it was read already.
    func prepare(_ context: JobContext, today: CalendarDay, destination: ReportDestination, backend: String, table: String,
                 depth: String, runId: String?, alreadyRead: Suppressions?? = nil) async throws -> ReportReview {
        let (settings, logger) = (context.settings, context.logger)
        var review = ReportReview(today: today)
        if let alreadyRead {
            review.suppressions = alreadyRead
        } else {
            review.suppressions = try await suppressionsFile(context, today: today)
        }
        for line in review.suppressions?.warnings(for: table, today: today) ?? [] { logger.warning("\(line)") }
        switch baseline {
        case .none:
            review.comparison = .none
        case .report(let path):
            let file = path.hasSuffix("report.json") ? path : (path.hasSuffix("/") ? path : path + "/") + "report.json"
            let data = try await Self.read(file, what: "baseline", settings: settings, logger: logger)
            guard let report = try? JSONDecoder().decode(JobReport.self, from: data) else {
                throw JobExit.usage("--baseline \(path): not a UserVault report.json")
            }
            if let why = ReportReview.unsuitableBaseline(report, backend: backend, table: table, depth: depth) {
                throw JobExit.usage("--baseline \(path) cannot be this audit's baseline: \(why)")
            }
            review.comparison = .with(report)
        case .auto:
            do {
                let report = try await destination.withHistory(settings: settings, logger: logger) { history in
                    try await history.baseline(backend: backend, table: table, depth: depth, excluding: runId)
                }
                review.comparison = .with(report)
            } catch {
                throw JobExit.failure("cannot read the earlier reports in \(destination.directory) (--baseline auto): "
                    + "\(ErrorLine.of(error)); --baseline none goes without")
            }
        }
        return review
    }

    /// The suppressions file (`--suppressions`, else `USERVAULT_SUPPRESSIONS`), read and checked
    /// against `today`; `nil` when none is named. A bad one is a usage error (exit 2).
    func suppressionsFile(_ context: JobContext, today: CalendarDay) async throws -> Suppressions? {
        let settings = context.settings
        guard let source = suppressions ?? settings.environment["USERVAULT_SUPPRESSIONS"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return nil
        }
        let data = try await Self.read(source, what: "suppressions file", settings: settings, logger: context.logger)
        do {
            return try SuppressionsFile.parse(data, source: source, today: today)
        } catch let error as SuppressionsError {
            throw JobExit.usage("bad suppressions file: \(error)")
        }
    }

    /// A file's bytes: a local path, or an S3 object (`s3://bucket/key`) read with the S3 client.
    static func read(_ source: String, what: String, settings: Settings, logger: Logger) async throws -> Data {
        if let location = S3Output.parse(source) {
            do {
                return try await Backend.withS3(settings, logger: logger) { client in
                    try await client.getObject(bucket: location.bucket, key: location.key)
                }
            } catch let exit as JobExit {
                throw exit
            } catch {
                throw JobExit.usage("cannot read the \(what) \(source): \(ErrorLine.of(error))")
            }
        }
        guard let data = FileManager.default.contents(atPath: source) else {
            throw JobExit.usage("cannot read the \(what) \(source): no such file (or not readable)")
        }
        return data
    }
}
