import Foundation
import Logging
import UserVaultCore

/// The nightly audit: a parallel segmented scan proving every user's credentials are KMS
/// ciphertext under an existing, enabled, per-user CMK of their own.
///
/// Per page, each user's verdict (``CredentialVerifier``) is committed with the segment's
/// position; after the scan, keys referenced by several users (`KEY_SHARED`) and emails held by
/// several users (`DUPLICATE_EMAIL`) are found across everything committed.
public struct AuditJob: Sendable {
    public struct Configuration: Sendable {
        public var scan: ScanEngine.Configuration
        public var failOn: Severity

        public init(scan: ScanEngine.Configuration = .init(), failOn: Severity = .high) {
            self.scan = scan
            self.failOn = failOn
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
              parameters: ["depth": "standard"])
    }

    /// Runs (or resumes) the audit; returns the report, partial when the scan did not finish.
    public func run(table: any UserTable, keys: any KeyService, state: RunState, logger: Logger,
                    progress: @escaping @Sendable (ScanEngine.Progress) -> Void = { _ in },
                    externalStats: @escaping @Sendable () -> JobReport.Stats = { JobReport.Stats() }) async throws -> JobReport {
        let clock = ContinuousClock.now
        let owners = KeyOwnerIndex(keys: keys)
        let verifier = CredentialVerifier(keys: keys) { try await owners.key(createdBy: $0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
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
                        page.add(kind: "finding", key: "\(item.id)|\(finding.code.rawValue)", value: try encoder.encode(finding))
                    }
                    // The value remembers whether the user was verified, so that users found on a
                    // shared key or a duplicate email after the scan leave the verified count.
                    let flag = Data([verdict.verified ? 1 : 0])
                    if let keyId = verdict.keyId {
                        page.add(kind: "keyref", key: "\(KeyReference.bareKeyId(keyId))|\(item.id)", value: flag)
                    }
                    if let email = item.email {
                        page.add(kind: "email", key: "\(EmailGuard.normalize(email))|\(item.id)", value: flag)
                    }
                }
                return page
            }
        var findings = try state.records(kind: "finding").map { try JSONDecoder().decode(Finding.self, from: $0.value) }
        let keyRefs = try state.records(kind: "keyref")
        let emails = try state.records(kind: "email")
        let shared = Self.groupFindings(keyRefs, code: .keyShared) { "the CMK is shared by \($0) users" }
        let duplicates = Self.groupFindings(emails, code: .duplicateEmail) { "\($0) users share this email (case-insensitive)" }
        findings += shared + duplicates
        // "verified" means proven and without any finding.
        let flagged = Set((shared + duplicates).compactMap(\.userId))
        let verifiedButFlagged = Set((keyRefs + emails).filter { $0.value == Data([1]) }.compactMap { record in
            record.key.lastIndex(of: "|").map { String(record.key[record.key.index(after: $0)...]) }
        }).intersection(flagged)
        var counters = try state.counters()
        counters["verified", default: 0] -= verifiedButFlagged.count
        var stats = externalStats()
        if stats.kmsRequests == 0 { stats.kmsRequests = counters["keyRequests"] ?? 0 }
        stats.durationSeconds = (ContinuousClock.now - clock).inSeconds
        return JobReport(
            runId: state.runId, job: "audit", backend: table.backendName, table: table.tableName,
            startedAt: JobReport.timestamp(state.startedAt), finishedAt: JobReport.timestamp(Date()),
            complete: outcome.complete, parameters: ["depth": "standard", "failOn": configuration.failOn.rawValue],
            segments: .init(total: configuration.scan.totalSegments, worker: configuration.scan.worker.description,
                            assigned: outcome.segmentsAssigned, finished: outcome.segmentsFinished),
            scanned: counters["scanned"] ?? 0, users: counters["users"] ?? 0, verified: counters["verified"] ?? 0,
            findings: findings.sorted { ($0.userId ?? "", $0.code.rawValue) < ($1.userId ?? "", $1.code.rawValue) },
            summary: JobReport.summary(of: findings), stats: stats)
    }

    /// The report of a run that failed: what was committed before the failure, `complete: false`,
    /// and the failure's one-line description in `parameters.error`.
    public func partialReport(table: any UserTable, state: RunState, error: String) -> JobReport {
        let findings = ((try? state.records(kind: "finding")) ?? []).compactMap { try? JSONDecoder().decode(Finding.self, from: $0.value) }
        let counters = (try? state.counters()) ?? [:]
        let assigned = Array(configuration.scan.worker.segments(of: configuration.scan.totalSegments)).count
        var stats = JobReport.Stats()
        stats.kmsRequests = counters["keyRequests"] ?? 0
        return JobReport(
            runId: state.runId, job: "audit", backend: table.backendName, table: table.tableName,
            startedAt: JobReport.timestamp(state.startedAt), finishedAt: JobReport.timestamp(Date()), complete: false,
            parameters: ["depth": "standard", "failOn": configuration.failOn.rawValue, "error": error],
            segments: .init(total: configuration.scan.totalSegments, worker: configuration.scan.worker.description,
                            assigned: assigned, finished: (try? state.finishedSegments()) ?? 0),
            scanned: counters["scanned"] ?? 0, users: counters["users"] ?? 0, verified: counters["verified"] ?? 0,
            findings: findings, summary: JobReport.summary(of: findings), stats: stats)
    }

    /// `group|userId` records → one finding per user of every group with two users or more.
    static func groupFindings(_ records: [RunState.Record], code: FindingCode,
                              detail: (Int) -> String) -> [Finding] {
        var groups: [String: [String]] = [:]
        for record in records {
            guard let bar = record.key.lastIndex(of: "|") else { continue }
            groups[String(record.key[..<bar]), default: []].append(String(record.key[record.key.index(after: bar)...]))
        }
        return groups.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.flatMap { group, users in
            users.map { Finding(code, userId: $0, keyId: code == .keyShared ? group : nil, detail: detail(users.count)) }
        }
    }
}

/// The per-user CMKs by their `CreatedBy` tag, for legacy records without `credentialsKeyId`:
/// built once, on first need, from the key service's listing.
actor KeyOwnerIndex {
    private let keys: any KeyService
    private var index: [String: String]?
    private var building: Task<[String: String], any Error>?

    init(keys: any KeyService) {
        self.keys = keys
    }

    func key(createdBy userId: String) async throws -> String? {
        if let index { return index[userId] }
        let task = building ?? Task { [keys] in
            var owners: [String: String] = [:]
            for keyId in try await keys.listKeyIds() {
                if let owner = try await keys.tags(keyId: keyId)["CreatedBy"] { owners[owner] = keyId }
            }
            return owners
        }
        building = task
        let built = try await task.value
        index = built
        return built[userId]
    }
}
