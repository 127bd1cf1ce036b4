import Foundation
import Logging
import UserVaultCore

/// The parallel segmented scan every job runs on: this worker's segments, `concurrency` at a
/// time, page by page, each page handed to the job and committed with the segment's position
/// in the run state, so a killed run resumes where it stopped.
///
/// ```swift
/// let outcome = try await ScanEngine(configuration: .init(totalSegments: 16, concurrency: 4))
///     .run(table: table, state: state, logger: logger) { segment, items in
///         var page = RunState.PageRecords()
///         page.count("users", by: items.count)
///         return page
///     }
/// ```
/// Cancelling the task (SIGINT/SIGTERM, a Lambda deadline) stops between pages: everything
/// committed so far stays, and ``Outcome/complete`` is `false`.
///
/// A ``ServiceFailure`` under a page (from the scan or from `process`) is not a result: the page
/// is not committed and is tried again after the other pending segments, up to
/// ``Configuration/pageAttempts`` times; then the run stops, throwing the failure, with
/// everything committed so far kept for `--resume`. A final failure (``ServiceFailure/isFinal``:
/// an endpoint that has answered nothing in this run) stops the run at once.
public struct ScanEngine: Sendable {
    /// Tunables; every parameter has a default.
    public struct Configuration: Sendable {
        public var totalSegments: Int
        /// Segments in flight at once.
        public var concurrency: Int
        public var worker: WorkerShare
        /// Items per page (DynamoDB `Limit`).
        public var pageSize: Int
        public var projection: ScanProjection
        /// The request budgets of this process (shown in reports and progress).
        public var budgets = JobBudgets()
        /// The table's throttled answers: each new one slows the read budget down.
        public var readThrottles: ThrottleWatch?
        /// Read capacity budget per second (``JobBudgets/readUnitsPerSecond``), driven by consumed capacity.
        public var maxReadUnitsPerSecond: Double? {
            get { budgets.readUnitsPerSecond }
            set { budgets.readUnitsPerSecond = newValue }
        }
        /// Pages hold only `type = "users"` items (not the email-guard items).
        public var usersOnly = false
        /// How often one page is tried when a service fails under it (``ServiceFailure``: throttling,
        /// 5xx, the network, after the client's own retries) before the run stops.
        public var pageAttempts = 4
        /// The wait before a failed page's next try: doubled each time, with full jitter.
        public var pageRetryDelay: Duration = .seconds(2)

        public init(totalSegments: Int = 1, concurrency: Int = 4, worker: WorkerShare = .whole, pageSize: Int = 1000,
                    projection: ScanProjection = .full, maxReadUnitsPerSecond: Double? = nil) {
            precondition((1...1_000_000).contains(totalSegments), "1 to 1,000,000 segments")
            self.totalSegments = totalSegments
            self.concurrency = max(1, concurrency)
            self.worker = worker
            self.pageSize = pageSize
            self.projection = projection
            self.budgets.readUnitsPerSecond = maxReadUnitsPerSecond
        }
    }

    /// How the scan ended.
    public struct Outcome: Sendable {
        /// Every segment of this worker finished.
        public var complete: Bool
        public var segmentsFinished: Int
        public var segmentsAssigned: Int
    }

    /// A progress tick: items examined so far in this process, and the segments finished.
    public struct Progress: Sendable {
        public var items: Int
        public var segmentsFinished: Int
        public var segmentsAssigned: Int
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs the scan. `process` sees each page's items and returns what to commit with it.
    public func run(
        table: any UserTable, state: RunState, logger: Logger,
        progress: @escaping @Sendable (Progress) -> Void = { _ in },
        process: @escaping @Sendable (_ segment: Int, _ items: [StoredItem]) async throws -> RunState.PageRecords
    ) async throws -> Outcome {
        let assigned = Array(configuration.worker.segments(of: configuration.totalSegments))
        var pending: [(segment: Int, after: String?)] = []
        for segment in assigned {
            let position = try state.position(of: segment)
            if position?.done != true { pending.append((segment, position?.after)) }
        }
        let queue = SegmentQueue(pending)
        let budget = configuration.maxReadUnitsPerSecond.map { TokenBucket(rate: $0) }
        let tally = ProgressTally(finished: assigned.count - pending.count, assigned: assigned.count)
        let configuration = self.configuration
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(configuration.concurrency, max(1, pending.count)) {
                group.addTask {
                    while !Task.isCancelled, let next = await queue.next() {
                        do {
                            try await Self.scanSegment(
                                next.segment, from: next.after, table: table, state: state, configuration: configuration,
                                budget: budget, tally: tally, progress: progress, process: process)
                        } catch is CancellationError where Task.isCancelled {
                            return  // a stop (SIGINT/SIGTERM, a deadline), not a failure
                        } catch {
                            // A service failure is no verdict: the page was not committed; it goes
                            // back in the queue, from the segment's last committed position.
                            guard let failure = ServiceFailure(error) else { throw error }
                            // An endpoint that has never answered: a wrong address, not an outage.
                            if failure.isFinal { throw failure }
                            let after = try state.position(of: next.segment)?.after ?? next.after
                            let tries = await queue.requeue(segment: next.segment, after: after)
                            logger.debug("a service failed under a page: it will be tried again", metadata: [
                                "segment": "\(next.segment)", "try": "\(tries)", "of": "\(configuration.pageAttempts)",
                                "error": "\(failure.detail)",
                            ])
                            guard tries < configuration.pageAttempts else {
                                throw ServiceFailure(detail: "\(failure.detail) (a page failed \(tries) times: the run stopped)")
                            }
                            try await Task.sleep(for: Self.delay(before: tries, base: configuration.pageRetryDelay))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let finished = try state.finishedSegments()
        logger.debug("scan ended", metadata: ["finished": "\(finished)", "assigned": "\(assigned.count)"])
        return Outcome(complete: finished >= assigned.count && !Task.isCancelled, segmentsFinished: finished,
                       segmentsAssigned: assigned.count)
    }

    /// Full jitter over `base · 2^(tries-1)`, at most 20 s: failed pages of many segments do not
    /// come back all at once.
    static func delay(before tries: Int, base: Duration) -> Duration {
        let ceiling = min(base * (1 << min(max(0, tries - 1), 16)), .seconds(20))
        return ceiling * Double.random(in: 0...1)
    }

    private static func scanSegment(
        _ segment: Int, from start: String?, table: any UserTable, state: RunState, configuration: Configuration,
        budget: TokenBucket?, tally: ProgressTally, progress: @Sendable (Progress) -> Void,
        process: @Sendable (Int, [StoredItem]) async throws -> RunState.PageRecords
    ) async throws {
        var after = start
        repeat {
            if Task.isCancelled { return }
            if let budget {
                if configuration.readThrottles?.throttledSinceLastLook() == true { await budget.slowDown() }
                try await budget.take(1)
            }
            let page = try await table.scan(ScanRequest(
                segment: segment, totalSegments: configuration.totalSegments, startAfter: after,
                limit: configuration.pageSize, projection: configuration.projection, usersOnly: configuration.usersOnly))
            if let budget { await budget.spend(max(0, page.consumedReadUnits - 1)) }
            var records = try await process(segment, page.items)
            // Stopped while the page was being processed: its verdicts may be "could not evaluate"
            // only because of the stop. Nothing of it is committed; a resumed run redoes the page.
            if Task.isCancelled { return }
            records.count(.scanned, by: page.scannedCount)
            after = page.lastEvaluatedId
            // The page's results and the new position commit together, or not at all.
            try await state.commit(segment: segment, position: .init(after: after, done: after == nil), page: records)
            progress(await tally.add(items: page.scannedCount, finishedSegment: after == nil))
        } while after != nil
    }
}

/// Hands out pending segments to the scanning tasks; a page a service failed under goes back
/// at the end, and its tries are counted.
actor SegmentQueue {
    private var pending: [(segment: Int, after: String?)]
    private var failures: [PageKey: Int] = [:]

    private struct PageKey: Hashable {
        var segment: Int
        var after: String?
    }

    init(_ pending: [(segment: Int, after: String?)]) {
        self.pending = pending.reversed()
    }

    func next() -> (segment: Int, after: String?)? {
        pending.popLast()
    }

    /// Puts the segment back, to go on from `after` once the others have had their turn.
    /// - Returns: how many times this page (segment and position) has failed so far.
    func requeue(segment: Int, after: String?) -> Int {
        pending.insert((segment, after), at: 0)
        let key = PageKey(segment: segment, after: after)
        failures[key, default: 0] += 1
        return failures[key, default: 0]
    }
}

/// Running totals for progress reports.
actor ProgressTally {
    private var items = 0
    private var finished: Int
    private let assigned: Int

    init(finished: Int, assigned: Int) {
        self.finished = finished
        self.assigned = assigned
    }

    func add(items count: Int, finishedSegment: Bool) -> ScanEngine.Progress {
        items += count
        if finishedSegment { finished += 1 }
        return .init(items: items, segmentsFinished: finished, segmentsAssigned: assigned)
    }
}
