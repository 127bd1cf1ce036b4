import Foundation
import Jobs
import Logging
import UserVaultCore

/// `uservault watch`: the continuous proof without Lambda, for cron/systemd deployments and the
/// embedded store. It follows the backend's change feed (``ChangeFeed``: the table's DynamoDB
/// stream, or the embedded store's change log), proves each changed user again (``Watcher``), and
/// sends what opened and resolved where the handlers send theirs (``ContinuousOutlet``).
public struct WatchSettings: Sendable {
    /// The watch's state (position and open findings); `nil`: `.uservault/watch-<backend>-<table>.sqlite`.
    public var state: String?
    public var from: FeedStartChoice = .latest
    public var depth: AuditDepth = .standard
    public var keyState: KeyStateChoice = .auto
    public var format: WatchFormat = .text
    /// The rolling report's folder (local).
    public var reportDir: String?
    public var publishFindings: FindingsTarget = .none
    /// Seconds between polls when nothing changed; `nil`: 0.1 on the embedded store, 1 on AWS.
    public var interval: Double?
    /// The suppressions file (a path or `s3://bucket/key`); `nil`: `USERVAULT_SUPPRESSIONS`, else none.
    public var suppressions: String?

    public init(state: String? = nil, from: FeedStartChoice = .latest, depth: AuditDepth = .standard, keyState: KeyStateChoice = .auto,
                format: WatchFormat = .text, reportDir: String? = nil, publishFindings: FindingsTarget = .none, interval: Double? = nil,
                suppressions: String? = nil) {
        self.suppressions = suppressions
        self.state = state
        self.from = from
        self.depth = depth
        self.keyState = keyState
        self.format = format
        self.reportDir = reportDir
        self.publishFindings = publishFindings
        self.interval = interval
    }

    /// Follows the changes until SIGINT or SIGTERM (then returns: exit 0).
    public func run(_ settings: Settings) async throws {
        try publishFindings.check(settings)
        let logger = Logger(label: "uservault.watch")
        if settings.backend == .local, !FileManager.default.fileExists(atPath: settings.storePath) {
            throw JobExit.failure("no store at \(settings.storePath) (run `uservault seed` or `uservault init` first)")
        }
        // Read once, before anything is followed: a bad file is exit 2 with one line. Expiry is
        // judged again at each batch (a watch runs for days).
        let acceptance = try await ContinuousSuppressions(file: suppressions, settings: settings).read(logger: logger)
        let statePath = state ?? ".uservault/watch-\(settings.backend.rawValue)-\(settings.tableName).sqlite"
        let watchState: WatchState
        do {
            watchState = try WatchState(path: statePath, backend: settings.backend == .aws ? "aws" : "embedded", table: settings.tableName)
        } catch let error as RunStateError {
            throw JobExit.failure(error.description)
        }
        let runId = UUID().uuidString.lowercased()
        let startedAt = Date()
        let clock = ContinuousClock.now
        let (format, reportDir, from, depth, keyState, publishFindings) = (self.format, self.reportDir, self.from, self.depth, self.keyState,
                                                                            self.publishFindings)
        let interval = Duration.milliseconds(Int64((interval ?? (settings.backend == .aws ? 1 : 0.1)) * 1000))
        try await JobLogContext.with(["runId": "\(runId)"]) {
            // The writer's connection migrates an older store (the change log); watch writes nothing else.
            try await Backend.with(settings, readOnly: false, logger: logger) { backend in
                guard let feed = backend.changes else { throw JobExit.failure("this backend has no change feed") }
                try await publishFindings.withContinuousPublisher(settings: settings, logger: logger) { publisher in
                    let outlet = ContinuousOutlet(backend: backend.table.backendName, table: settings.tableName, publisher: publisher)
                    let proof = ContinuousProofSettings(depth: depth, keyState: keyState).proof(on: backend)
                    let ledger: any FindingLedger = publisher == nil ? watchState : outlet.ledger()
                    let watcher = Watcher(feed: feed, proof: proof, state: watchState, ledger: ledger,
                                          configuration: .init(interval: interval, start: from.start, acceptance: acceptance))
                    let parameters = ["depth": depth.rawValue, "from": from.rawValue, "state": statePath,
                                      "keyState": proof.configuration.keyState.rawValue]
                        .merging(acceptance.map { ["suppressions": $0.suppressions.source] } ?? [:]) { $1 }
                    @Sendable func writeReport(complete: Bool) throws {
                        guard let reportDir else { return }
                        let report = JobReport.watch(runId: runId, startedAt: startedAt, backend: backend.table.backendName,
                                                     table: settings.tableName, complete: complete, parameters: parameters,
                                                     counters: try watchState.counters(), open: try watchState.allOpen(),
                                                     durationSeconds: (ContinuousClock.now - clock).inSeconds)
                        try ReportWriter.write(report, to: URL(fileURLWithPath: reportDir))
                    }
                    logger.info("watching", metadata: ["backend": "\(backend.location)", "depth": "\(depth.rawValue)"])
                    try writeReport(complete: false)
                    try await SignalWaiter.untilSignal(logger: logger) {
                        try await watcher.run(logger: logger, report: { round in
                            let lines = format == .text ? ContinuousOutlet.textLines(round.findings)
                                : outlet.ocsfLines(round.findings, runId: runId, job: "watch")
                            MetricsSettings.writeToStandardOutput(lines)
                            if let publication = await outlet.publish(round.findings, ledger: ledger, runId: runId, logger: logger),
                               !publication.succeeded {
                                logger.error("findings not all published", metadata: ["summary": "\(publication.summary)"])
                            }
                        }, committed: {
                            try writeReport(complete: false)
                        })
                    }
                    try writeReport(complete: true)
                    logger.info("watch stopped", metadata: ["state": "\(statePath)"])
                }
            }
        }
    }
}
