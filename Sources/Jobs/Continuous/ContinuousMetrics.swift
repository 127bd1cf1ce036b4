import Foundation

/// The EMF line of one continuous-proof invocation (a stream batch, a key event, a watch batch):
/// namespace `UserVault`, dimensions `Table` and `Job` (`stream`, `key-events`, `watch`), with
/// `Events`, `Reproven`, `Findings` (found now), `Opened`, `Resolved`, `Suppressed` (found now and
/// accepted by a suppressions rule), `Failures` (records not proven for a service reason) and,
/// for a stream, `OldestRecordAge` (seconds from the oldest record's write to now: how far the
/// function lags behind the table).
///
/// `Findings` and `Opened` leave accepted findings out, as an audit's exit code and its
/// `NewFindings` do: an alarm on them is not raised by what people accepted (`Suppressed` counts
/// those; an audit's own `Findings` total includes them, beside its `Suppressed`).
public struct ContinuousMetrics: Sendable {
    public var events = 0
    public var reproven = 0
    public var findings = 0
    public var opened = 0
    public var resolved = 0
    public var suppressed = 0
    public var failures = 0
    public var oldestRecordAge: Double?

    public init() {}

    /// Counts a round and its changes.
    public mutating func add(_ round: ContinuousProof.Round, _ changes: FindingChanges) {
        reproven += round.proven.filter(\.exists).count
        findings += changes.current.filter { $0.suppressed == nil }.count
        opened += changes.opened.filter { $0.suppressed == nil }.count
        suppressed += changes.accepted.count
        resolved += changes.resolved.count
    }

    public func line(job: String, table: String, invocation: String?, at date: Date) -> String {
        var metrics: [EMFMetrics.Metric] = [
            .init("Events", .count, Double(events)), .init("Reproven", .count, Double(reproven)),
            .init("Findings", .count, Double(findings)), .init("Opened", .count, Double(opened)),
            .init("Resolved", .count, Double(resolved)), .init("Suppressed", .count, Double(suppressed)),
            .init("Failures", .count, Double(failures)),
        ]
        if let oldestRecordAge { metrics.append(.init("OldestRecordAge", .seconds, max(0, oldestRecordAge))) }
        return EMFMetrics.line(job: job, table: table, runId: invocation, metrics: metrics, at: date)
    }
}
