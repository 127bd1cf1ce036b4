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

        public init(scan: ScanEngine.Configuration = .init(), failOn: Severity = .high, depth: AuditDepth = .standard) {
            self.scan = scan
            self.failOn = failOn
            self.depth = depth
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
        ["depth": configuration.depth.rawValue, "failOn": configuration.failOn.rawValue]
    }

    /// Runs (or resumes) the audit; returns the report, partial when the scan did not finish.
    public func run(table: any UserTable, keys: any KeyService, state: RunState, logger: Logger,
                    progress: @escaping @Sendable (ScanEngine.Progress) -> Void = { _ in },
                    externalStats: @escaping @Sendable () -> JobReport.Stats = { JobReport.Stats() }) async throws -> JobReport {
        let clock = ContinuousClock.now
        let ownership = KeyOwnership(keys: keys)
        let verifier = CredentialVerifier(keys: keys, depth: configuration.depth, ownership: ownership)
        let outcome = try await ScanEngine(configuration: configuration.scan)
            .run(table: table, state: state, logger: logger, progress: progress) { _, items in
                var page = RunState.PageRecords()
                for item in items where item.isUser {
                    page.count("users")
                    var verdict = await verifier.verify(item)
                    if item.summary == nil {
                        verdict.findings.append(Finding(.invalidRecord, userId: item.id, detail: "a users item without firstname, lastname, email or username"))
                        verdict.verified = false
                    }
                    page.count("keyRequests", by: verdict.keyRequests)
                    if verdict.verified { page.count("verified") }
                    for finding in verdict.findings {
                        page.add(kind: "finding", key: "\(item.id)|\(finding.code.rawValue)", value: try JSONEncoder.sorted.encode(finding))
                    }
                    // The value remembers whether the user was verified, so that users found on a
                    // shared key or a duplicate email after the scan leave the verified count.
                    let flag = Data([verdict.verified ? 1 : 0])
                    if let keyId = verdict.keyId {
                        page.add(kind: "keyref", key: "\(KeyReference.bareKeyId(keyId))|\(item.id)", value: flag)
                    }
                    // A key the record names is not an orphan, whatever its credentials hold.
                    if let named = item.credentialsKeyId {
                        page.add(kind: "named", key: KeyReference.bareKeyId(named))
                    }
                    if let email = item.email {
                        page.add(kind: "email", key: "\(Membership.emailGroup(email))|\(item.id)", value: flag)
                    }
                }
                return page
            }
        let share = try AuditShare(state: state, job: self, table: table)
        var findings = share.findings
        let (groupFindings, unverified) = CrossScanChecks.groups(keyRefs: share.keyRefs, emails: share.emails)
        findings += groupFindings
        var keyRequests = share.counters["keyRequests"] ?? 0
        if outcome.complete && configuration.depth == .deep && configuration.scan.worker == .whole {
            let orphans = try await CrossScanChecks.orphans(
                index: try await ownership.index(), referenced: share.referencedKeys, keys: keys)
            findings += orphans.findings
            keyRequests += orphans.requests
        }
        var stats = externalStats()
        if stats.kmsRequests == 0 { stats.kmsRequests = keyRequests }
        stats.durationSeconds = (ContinuousClock.now - clock).inSeconds
        return report(runId: state.runId, startedAt: state.startedAt, table: table, complete: outcome.complete,
                      parameters: parameters, segments: .init(total: configuration.scan.totalSegments,
                                                              worker: configuration.scan.worker.description,
                                                              assigned: outcome.segmentsAssigned, finished: outcome.segmentsFinished),
                      counters: share.counters, verifiedLost: unverified, findings: findings, stats: stats)
    }

    /// The report of a run that failed: what was committed before the failure, `complete: false`,
    /// and the failure's one-line description in `parameters.error`.
    public func partialReport(table: any UserTable, state: RunState, error: String,
                              externalStats: JobReport.Stats = JobReport.Stats()) -> JobReport {
        let share = try? AuditShare(state: state, job: self, table: table)
        let counters = share?.counters ?? [:]
        var stats = externalStats
        if stats.kmsRequests == 0 { stats.kmsRequests = counters["keyRequests"] ?? 0 }
        var parameters = self.parameters
        parameters["error"] = error
        return report(runId: state.runId, startedAt: state.startedAt, table: table, complete: false, parameters: parameters,
                      segments: .init(total: configuration.scan.totalSegments, worker: configuration.scan.worker.description,
                                      assigned: Array(configuration.scan.worker.segments(of: configuration.scan.totalSegments)).count,
                                      finished: (try? state.finishedSegments()) ?? 0),
                      counters: counters, verifiedLost: 0, findings: share?.findings ?? [], stats: stats)
    }

    func report(runId: String, startedAt: Date, table: any UserTable, complete: Bool, parameters: [String: String],
                segments: JobReport.Segments, counters: [String: Int], verifiedLost: Int, findings: [Finding],
                stats: JobReport.Stats) -> JobReport {
        JobReport(
            runId: runId, job: "audit", backend: table.backendName, table: table.tableName,
            startedAt: JobReport.timestamp(startedAt), finishedAt: JobReport.timestamp(Date()), complete: complete,
            parameters: parameters, segments: segments, scanned: counters["scanned"] ?? 0, users: counters["users"] ?? 0,
            verified: max(0, (counters["verified"] ?? 0) - verifiedLost), findings: AuditJob.ordered(findings),
            summary: JobReport.summary(of: findings), stats: stats)
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
        findings = try state.records(kind: "finding").map { try JSONDecoder().decode(Finding.self, from: $0.value) }
        keyRefs = try state.records(kind: "keyref").compactMap(Self.membership)
        emails = try state.records(kind: "email").compactMap(Self.membership)
        namedKeys = try state.records(kind: "named").map(\.key)
    }

    /// `group|userId` → value 1 when verified.
    private static func membership(_ record: RunState.Record) -> Membership? {
        guard let bar = record.key.lastIndex(of: "|") else { return nil }
        return Membership(group: String(record.key[..<bar]), userId: String(record.key[record.key.index(after: bar)...]),
                          verified: record.value == Data([1]))
    }
}
