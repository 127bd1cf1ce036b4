import Foundation
import Logging
import UserVaultCore

/// The nightly audit: a parallel segmented scan proving every user's credentials are KMS
/// ciphertext under an existing, enabled, per-user CMK of their own.
///
/// Per page, each user's verdict (``CredentialVerifier``) is committed with the segment's
/// position; after the scan, ``CrossScanChecks`` find shared keys, duplicate emails and (deep,
/// whole-table runs) orphan keys across everything committed. A `--worker` run leaves the
/// cross-worker part to ``AuditMerge``, from the ``AuditShare`` it writes beside its report.
public struct AuditJob: Sendable {
    public struct Configuration: Sendable {
        public var scan: ScanEngine.Configuration
        public var failOn: Severity
        public var depth: AuditDepth
        /// Where key states come from (``KeyStateSource``); findings are the same either way.
        public var keyState: KeyStateSource
        /// Where the items come from (the key states are always read live).
        public var source: ItemSource

        public init(scan: ScanEngine.Configuration = .init(), failOn: Severity = .high, depth: AuditDepth = .standard,
                    keyState: KeyStateSource = .describe, source: ItemSource = .scan) {
            self.scan = scan
            self.failOn = failOn
            self.depth = depth
            self.keyState = keyState
            self.source = source
        }
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The run-state fingerprint of an audit with this configuration.
    public func fingerprint(table: any UserTable) -> RunState.Fingerprint {
        .init(job: "audit", backend: table.backendName, table: table.tableName,
              totalSegments: configuration.scan.totalSegments, worker: configuration.scan.worker,
              parameters: ["depth": configuration.depth.rawValue])
    }

    /// What a `--worker` run writes beside its report for ``AuditMerge``.
    public func share(state: RunState, table: any UserTable, complete: Bool) throws -> AuditShare {
        var share = try AuditShare(state: state, job: self, table: table)
        share.complete = complete
        return share
    }

    var parameters: [String: String] {
        ["depth": configuration.depth.rawValue, "failOn": configuration.failOn.rawValue,
         "keyState": (configuration.depth == .deep ? .describe : configuration.keyState).rawValue]
            .merging(configuration.scan.budgets.parameters) { $1 }
            .merging(configuration.source.parameters) { $1 }
    }

    /// Runs (or resumes) the audit; returns the report, partial when the scan did not finish.
    public func run(table: any UserTable, keys: any KeyService, state: RunState, logger: Logger,
                    progress: @escaping @Sendable (ScanEngine.Progress) -> Void = { _ in },
                    externalStats: @escaping @Sendable () -> JobReport.Stats = { JobReport.Stats() }) async throws -> JobReport {
        let clock = ContinuousClock.now
        let ownership = KeyOwnership(keys: keys)
        let verifier = CredentialVerifier(keys: keys, depth: configuration.depth, ownership: ownership,
                                          keyState: configuration.keyState)
        let outcome = try await ScanEngine(configuration: configuration.scan)
            .run(table: table, state: state, logger: logger, progress: progress) { _, items in
                let users = items.filter(\.isUser)
                var page = RunState.PageRecords()
                guard let first = users.first else { return page }
                let verdicts = try await Self.verdicts(of: users, verifier: verifier)
                var members: [MemberEntry] = []
                members.reserveCapacity(users.count)
                for (item, verdict) in zip(users, verdicts) {
                    page.count(.keyRequests, by: verdict.keyRequests)
                    if verdict.verified { page.count(.verified) }
                    for finding in verdict.findings {
                        page.add(kind: "finding", key: "\(item.id)|\(finding.code.rawValue)", value: try JSONEncoder.sorted.encode(finding))
                    }
                    // What the cross-scan checks need; `verified` lets users found on a shared key or a
                    // duplicate email after the scan leave the verified count. A key the record names
                    // is not an orphan, whatever its credentials hold.
                    members.append(MemberEntry(
                        userId: item.id, keyGroup: verdict.keyId.map(KeyReference.bareKeyId) ?? "",
                        emailGroup: item.email.map(Membership.emailGroup) ?? "",
                        namedKey: item.credentialsKeyId.map(KeyReference.bareKeyId) ?? "", verified: verdict.verified))
                }
                page.count(.users, by: users.count)
                // Keyed by the page's first user: a page replayed after a kill replaces itself.
                page.add(kind: MemberPages.kind, key: first.id, value: MemberPages.encode(members))
                return page
            }
        let deepWhole = outcome.complete && configuration.depth == .deep && configuration.scan.worker == .whole
        let cross = try MemberPages.crossScanInput(state, referencedKeys: deepWhole)
        var findings = try Self.findings(in: state)
        let (groupFindings, unverified) = CrossScanChecks.groups(keyRefs: cross.keyRefs, emails: cross.emails)
        findings += groupFindings
        let counters = try state.counters()
        var keyRequests = counters[.keyRequests]
        var orphanKeys: OrphanKeyCost?
        if deepWhole {
            let orphans = try await CrossScanChecks.orphans(index: try await ownership.index(), referenced: cross.referenced, keys: keys)
            findings += orphans.findings
            keyRequests += orphans.requests
            orphanKeys = OrphanKeyCost(keys: orphans.findings.count)
        }
        var stats = externalStats()
        if stats.kmsRequests == 0 { stats.kmsRequests = keyRequests }
        stats.durationSeconds = (ContinuousClock.now - clock).inSeconds
        var result = report(runId: state.runId, startedAt: state.startedAt, table: table, complete: outcome.complete,
                            parameters: parameters, segments: .init(total: configuration.scan.totalSegments,
                                                                    worker: configuration.scan.worker.description,
                                                                    assigned: outcome.segmentsAssigned, finished: outcome.segmentsFinished),
                            counters: counters, verifiedLost: unverified, findings: findings, stats: stats)
        result.orphanKeys = orphanKeys
        return result
    }

    /// The per-user verdicts of a page of users: the verifier's, and the record's shape (a users
    /// item without its public attributes is `INVALID_RECORD`). The one way a user is judged, by
    /// the nightly audit and by every re-proof of a changed user (stream, key event, `watch`).
    ///
    /// - Throws: what ``CredentialVerifier`` throws (a service failure: no verdict).
    public static func verdicts(of users: [StoredItem], verifier: CredentialVerifier) async throws -> [CredentialVerifier.Verdict] {
        var verdicts = try await verifier.verify(users)
        for (item, position) in zip(users, verdicts.indices) where item.summary == nil {
            verdicts[position].findings.append(Finding(.invalidRecord, userId: item.id,
                                                       detail: "a users item without firstname, lastname, email or username"))
            verdicts[position].verified = false
        }
        return verdicts
    }

    /// The report of a run that failed: what was committed before the failure, `complete: false`,
    /// and the failure's one-line description in `parameters.error`.
    public func partialReport(table: any UserTable, state: RunState, error: String,
                              externalStats: JobReport.Stats = JobReport.Stats()) -> JobReport {
        let counters = (try? state.counters()) ?? [:]
        var stats = externalStats
        if stats.kmsRequests == 0 { stats.kmsRequests = counters[.keyRequests] }
        var parameters = self.parameters
        parameters["error"] = error
        return report(runId: state.runId, startedAt: state.startedAt, table: table, complete: false, parameters: parameters,
                      segments: .init(total: configuration.scan.totalSegments, worker: configuration.scan.worker.description,
                                      assigned: Array(configuration.scan.worker.segments(of: configuration.scan.totalSegments)).count,
                                      finished: (try? state.finishedSegments()) ?? 0),
                      counters: counters, verifiedLost: 0, findings: (try? Self.findings(in: state)) ?? [], stats: stats)
    }

    func report(runId: String, startedAt: Date, table: any UserTable, complete: Bool, parameters: [String: String],
                segments: JobReport.Segments, counters: [String: Int], verifiedLost: Int, findings: [Finding],
                stats: JobReport.Stats) -> JobReport {
        JobReport(job: "audit", runId: runId, startedAt: JobReport.timestamp(startedAt), backend: table.backendName,
                  table: table.tableName, complete: complete, parameters: parameters, segments: segments, counters: counters,
                  unverified: verifiedLost, findings: findings, stats: stats)
    }

    /// The per-user findings committed so far.
    static func findings(in state: RunState) throws -> [Finding] {
        try state.records(kind: "finding").map { try JSONDecoder().decode(Finding.self, from: $0.value) }
    }

    /// The report's order: by user, then code; key-level findings by key.
    static func ordered(_ findings: [Finding]) -> [Finding] {
        findings.sorted { ($0.userId ?? "", $0.code.rawValue, $0.keyId ?? "") < ($1.userId ?? "", $1.code.rawValue, $1.keyId ?? "") }
    }
}

/// What one audit run committed, in the form the cross-scan checks and ``AuditMerge`` need.
/// Written beside a `--worker` run's report as `audit-share.json`; it names users by id and
/// emails only by their SHA-256, and holds no credential, ciphertext or key material.
public struct AuditShare: Sendable, Codable {
    public static let fileName = "audit-share.json"

    public var version = 1
    public var runId: String
    public var backend: String
    public var table: String
    public var depth: String
    public var totalSegments: Int
    public var worker: WorkerShare
    public var complete: Bool?
    /// scanned, users, verified (before the cross-scan checks), keyRequests.
    public var counters: [String: Int]
    /// The per-user findings (the cross-scan ones are recomputed from the memberships).
    public var findings: [Finding]
    public var keyRefs: [Membership]
    public var emails: [Membership]
    /// Keys named by records' `credentialsKeyId` (bare ids).
    public var namedKeys: [String]

    /// Keys some user references: by its credentials, or by name.
    public var referencedKeys: Set<String> { Set(keyRefs.map(\.group)).union(namedKeys) }

    init(state: RunState, job: AuditJob, table: any UserTable) throws {
        runId = state.runId
        backend = table.backendName
        self.table = table.tableName
        depth = job.configuration.depth.rawValue
        totalSegments = job.configuration.scan.totalSegments
        worker = job.configuration.scan.worker
        counters = try state.counters()
        findings = try AuditJob.findings(in: state)
        var keyRefs: [Membership] = [], emails: [Membership] = [], named: [String] = []
        try MemberPages.forEach(in: state) { entry in
            if !entry.keyGroup.isEmpty { keyRefs.append(Membership(group: entry.keyGroup, userId: entry.userId, verified: entry.verified)) }
            if !entry.emailGroup.isEmpty { emails.append(Membership(group: entry.emailGroup, userId: entry.userId, verified: entry.verified)) }
            if !entry.namedKey.isEmpty { named.append(entry.namedKey) }
        }
        self.keyRefs = keyRefs
        self.emails = emails
        namedKeys = named
    }
}
