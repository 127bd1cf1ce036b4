import Foundation
import Logging
import UserVaultCore

/// `rotate-keys --mode prune-orphans`: schedules the deletion of per-user CMKs (tagged
/// `CreatedBy=<id>`) whose user does not exist and that no record names — the keys a create that
/// failed half-way, or a user deleted without its key, left behind; each costs $1 a month.
///
/// 1. A segmented scan of the whole table (checkpoints, budgets, `--resume` like every job) with
///    the key-references projection (`id`, `type`, `credentialsKeyId`: never a credential)
///    commits, page by page, which ids exist and which keys the records name.
/// 2. After a complete scan, one listing of the `CreatedBy` tag (``KeyOwnership``) gives the
///    candidates: keys whose owner was not seen and that no record names. Keys pending deletion,
///    gone, or not customer managed are left out.
/// 3. Each candidate is left alone when it is younger than ``Configuration/grace`` (by its
///    creation date against ``Configuration/now``: a create in flight makes its key first and
///    writes its user after), and when its owner exists on a consistent re-read of the owner's
///    id right before acting. Otherwise (`apply`) it is scheduled for deletion with
///    ``Configuration/pendingDays`` (KMS's longest, 30, by default: `CancelKeyDeletion` undoes
///    it until then); a dry run plans only. Each key's action is committed as it is decided, so
///    a resumed run acts on the rest only.
///
/// The report (`actions[]`, one per key: `userId` is the owner the key is tagged for) gives
/// ``JobReport/orphanKeys``: the keys scheduled (or planned) and what that saves a month.
public struct OrphanKeyPrune: Sendable {
    public struct Configuration: Sendable {
        public var scan: ScanEngine.Configuration
        public var apply: Bool
        /// Keys younger than this are left alone.
        public var grace: Duration
        /// The waiting period before deletion, 7–30 days.
        public var pendingDays: Int
        /// The instant key ages are measured against (read once at the edge; tests set it).
        public var now: Date

        public init(scan: ScanEngine.Configuration, apply: Bool, grace: Duration = .seconds(86_400), pendingDays: Int = 30,
                    now: Date) {
            var scan = scan
            scan.projection = .keyReferences
            scan.usersOnly = false  // any item's id keeps a key tagged with it alive
            self.scan = scan
            self.apply = apply
            self.grace = grace
            self.pendingDays = pendingDays
            self.now = now
        }
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    static let action = "PRUNE_ORPHAN_KEY"
    static let kind = "action"

    /// What changes the results (not `now`, not the budgets): a resumed run keeps its decisions.
    var resultParameters: [String: String] {
        ["mode": "prune-orphans", "apply": String(configuration.apply), "pendingDays": String(configuration.pendingDays),
         "graceSeconds": String(configuration.grace.components.seconds)]
    }

    var parameters: [String: String] {
        resultParameters.merging(configuration.scan.budgets.parameters) { $1 }
            .merging(["now": JobReport.timestamp(configuration.now)]) { $1 }
    }

    public func fingerprint(table: any UserTable) -> RunState.Fingerprint {
        .init(job: "rotate-keys", backend: table.backendName, table: table.tableName,
              totalSegments: configuration.scan.totalSegments, worker: configuration.scan.worker, parameters: resultParameters)
    }

    /// Runs (or resumes) the prune; returns the report, partial when the scan or the key phase
    /// did not finish.
    ///
    /// - Precondition: the scan covers the whole table (`worker` is `.whole`): a key is an orphan
    ///   only when no record anywhere keeps it.
    public func run(table: any UserTable, keys: any KeyService, state: RunState, logger: Logger,
                    progress: @escaping @Sendable (ScanEngine.Progress) -> Void = { _ in },
                    externalStats: @escaping @Sendable () -> JobReport.Stats = { JobReport.Stats() }) async throws -> JobReport {
        precondition(configuration.scan.worker == .whole, "prune-orphans scans the whole table")
        let clock = ContinuousClock.now
        let outcome = try await ScanEngine(configuration: configuration.scan)
            .run(table: table, state: state, logger: logger, progress: progress) { _, items in
                var page = RunState.PageRecords()
                guard let first = items.first else { return page }
                let entries = items.map {
                    MemberEntry(userId: $0.id, keyGroup: "", emailGroup: "",
                                namedKey: $0.credentialsKeyId.map(KeyReference.bareKeyId) ?? "", verified: false)
                }
                page.add(kind: MemberPages.kind, key: first.id, value: MemberPages.encode(entries))
                page.count(.users, by: items.filter(\.isUser).count)
                return page
            }
        var complete = outcome.complete
        if complete {
            complete = try await pruneCandidates(table: table, keys: keys, state: state, logger: logger)
        }
        var stats = externalStats()
        stats.durationSeconds = (ContinuousClock.now - clock).inSeconds
        return try report(state: state, table: table, complete: complete, parameters: parameters,
                          finished: outcome.segmentsFinished, assigned: outcome.segmentsAssigned, stats: stats)
    }

    /// The candidates (per-user keys whose owner was not seen, named by no record), each decided
    /// and committed; keys decided before a kill are skipped. `false` when stopped before the end.
    func pruneCandidates(table: any UserTable, keys: any KeyService, state: RunState, logger: Logger) async throws -> Bool {
        let index = try await KeyOwnership(keys: keys).indexForPage()
        var seenOwners: Set<String> = [], named: Set<String> = []
        try MemberPages.forEach(in: state) { entry in
            if index.keysByOwner[entry.userId] != nil { seenOwners.insert(entry.userId) }
            if !entry.namedKey.isEmpty, index.ownerByKey[entry.namedKey] != nil { named.insert(entry.namedKey) }
        }
        let decided = Set(try state.records(kind: Self.kind).map(\.key))
        let candidates = index.ownerByKey
            .filter { key, owner in !seenOwners.contains(owner) && !named.contains(key) && !decided.contains(Self.recordKey(key)) }
            .keys.sorted()
        logger.debug("orphan key candidates", metadata: ["candidates": "\(candidates.count)", "decidedEarlier": "\(decided.count)"])
        for chunk in stride(from: 0, to: candidates.count, by: 50).map({ Array(candidates[$0..<min($0 + 50, candidates.count)]) }) {
            if Task.isCancelled { return false }
            let results = try ServiceFailure.check(await concurrentMap(chunk, width: 8) { bare in
                try await decide(keyId: index.keyByBareId[bare] ?? bare, owner: index.ownerByKey[bare] ?? "", table: table, keys: keys)
            })
            var page = RunState.PageRecords()
            for (bare, result) in zip(chunk, results) {
                let owner = index.ownerByKey[bare] ?? ""
                let action: RepairAction?
                switch result {
                case .success(let decided): action = decided
                case .failure(let error):
                    action = try RepairAction.outcome(of: error, userId: owner, action: Self.action,
                                                      keyId: index.keyByBareId[bare] ?? bare, doing: "scheduling the deletion")
                }
                // A key left out (gone, already pending deletion) is recorded too: decided, not redone.
                page.add(kind: Self.kind, key: Self.recordKey(bare), value: try action.map { try JSONEncoder.sorted.encode($0) } ?? Data())
            }
            try await state.commit(page)
        }
        return !Task.isCancelled
    }

    static func recordKey(_ bareKeyId: String) -> String { "\(bareKeyId)|\(action)" }

    /// One candidate: left out (`nil`: gone, already pending deletion, not customer managed),
    /// left alone (`skipped`: too young, its owner exists now), planned, or scheduled.
    func decide(keyId: String, owner: String, table: any UserTable, keys: any KeyService) async throws -> RepairAction? {
        let metadata: KeyMetadata
        do {
            metadata = try await keys.describeKey(keyId: keyId)
        } catch let error as KeyServiceError where error == .notFound {
            return nil
        }
        guard metadata.state != .pendingDeletion, metadata.keyManager == "CUSTOMER" else { return nil }
        let days = configuration.pendingDays
        func action(_ outcome: RepairAction.Outcome, _ detail: String) -> RepairAction {
            RepairAction(userId: owner, action: Self.action, keyId: keyId, outcome: outcome, detail: detail)
        }
        let grace = configuration.grace.inSeconds
        guard let created = metadata.creationDate else {
            return action(.skipped, "its creation date is unknown: left alone (the grace period cannot be checked)")
        }
        let age = configuration.now.timeIntervalSince(created)
        guard age >= grace else {
            return action(.skipped, "created \(Self.span(age)) ago, within the grace period (\(Self.span(grace))): left alone, "
                + "a create may be in flight")
        }
        // Right before acting: a consistent read of the owner, who may have been written since the scan.
        if !owner.isEmpty, try await table.item(id: owner) != nil {
            return action(.skipped, "its user \(owner) exists now (written after the scan): left alone")
        }
        let saving = "saves about $\(JobBudgets.format(OrphanKeyCost.dollarsPerKeyMonth)) a month (estimate)"
        guard configuration.apply else {
            return action(.planned, "\(metadata.state.rawValue), no user, no record names it: would schedule its deletion in "
                + "\(days) days; \(saving)")
        }
        guard try await keys.scheduleDeletionUnlessPending(keyId: metadata.keyId, pendingDays: days) else {
            return action(.skipped, "already pending deletion (scheduled meanwhile)")
        }
        return action(.done, "scheduled for deletion in \(days) days (no user, no record names it); \(saving)")
    }

    /// `3 h`, `2 d`, `45 min`: a duration for people.
    static func span(_ seconds: Double) -> String {
        let seconds = max(0, seconds)
        if seconds >= 2 * 86_400 { return "\(Int(seconds / 86_400)) d" }
        if seconds >= 2 * 3_600 { return "\(Int(seconds / 3_600)) h" }
        if seconds >= 120 { return "\(Int(seconds / 60)) min" }
        return "\(Int(seconds)) s"
    }

    /// What was committed before a failure, `complete: false`, the failure in `parameters.error`.
    public func partialReport(table: any UserTable, state: RunState, error: String,
                              externalStats: JobReport.Stats = JobReport.Stats()) -> JobReport? {
        var parameters = self.parameters
        parameters["error"] = error
        return try? report(state: state, table: table, complete: false, parameters: parameters,
                           finished: (try? state.finishedSegments()) ?? 0, assigned: configuration.scan.totalSegments,
                           stats: externalStats)
    }

    func report(state: RunState, table: any UserTable, complete: Bool, parameters: [String: String],
                finished: Int, assigned: Int, stats: JobReport.Stats) throws -> JobReport {
        let actions = try state.records(kind: Self.kind).filter { !$0.value.isEmpty }
            .map { try JSONDecoder().decode(RepairAction.self, from: $0.value) }
            .sorted { ($0.keyId ?? "", $0.userId) < ($1.keyId ?? "", $1.userId) }
        var report = JobReport(
            job: "rotate-keys", runId: state.runId, startedAt: JobReport.timestamp(state.startedAt), backend: table.backendName,
            table: table.tableName, complete: complete, parameters: parameters,
            segments: .init(total: configuration.scan.totalSegments, worker: configuration.scan.worker.description,
                            assigned: assigned, finished: finished),
            counters: try state.counters(), summary: actions.reduce(into: [:]) { $0[$1.summaryKey, default: 0] += 1 }, stats: stats,
            actions: actions)
        report.orphanKeys = OrphanKeyCost(keys: actions.filter { $0.outcome == .planned || $0.outcome == .done }.count)
        return report
    }
}
