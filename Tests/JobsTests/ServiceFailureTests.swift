import EmbeddedStore
import Foundation
import Jobs
import Logging
import Synchronization
import Testing
import TestSupport
import UserVaultCore

/// A service that fails as a whole (an outage, throttling beyond the retries) is no verdict about
/// anyone: the audit commits nothing for the pages it hit, tries them again later in the run, stops
/// (as on SIGTERM) when the service stays down, and a resumed run reaches the fault-free result.
@Suite("Service failures are not findings")
struct ServiceFailureTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// The embedded key service behind an endpoint that fails the requests `failing` picks (by
    /// their number, counted from 1 over every operation, and their operation), as KMS or the
    /// tagging API would after the client's retries: a ``ServiceFailure``.
    final class FlakyKeys: KeyService {
        let base: EmbeddedKeyService
        let failing: @Sendable (_ request: Int, _ operation: String) -> KeyServiceError?
        private let count = Mutex(0)

        init(_ base: EmbeddedKeyService, failing: @escaping @Sendable (Int, String) -> KeyServiceError?) {
            self.base = base
            self.failing = failing
        }

        /// An endpoint that answers `healthy` requests, then refuses every connection.
        static func dying(_ base: EmbeddedKeyService, after healthy: Int) -> FlakyKeys {
            FlakyKeys(base) { request, operation in
                request > healthy ? .unavailable("kms \(operation) failed: connection problem: connection refused after 3 attempts") : nil
            }
        }

        var requests: Int { count.withLock { $0 } }

        private func call<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
            let number = count.withLock { count in
                count += 1
                return count
            }
            if let error = failing(number, operation) { throw error }
            return try await body()
        }

        var backendName: String { base.backendName }
        func createKey(description: String, tags: [String: String]) async throws -> KeyMetadata {
            try await call("CreateKey") { try await base.createKey(description: description, tags: tags) }
        }
        func enableKeyRotation(keyId: String) async throws {
            try await call("EnableKeyRotation") { try await base.enableKeyRotation(keyId: keyId) }
        }
        func encrypt(keyId: String, plaintext: Data, context: [String: String]) async throws -> Data {
            try await call("Encrypt") { try await base.encrypt(keyId: keyId, plaintext: plaintext, context: context) }
        }
        func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
            try await call("ReEncrypt") { try await base.reEncrypt(request) }
        }
        func describeKey(keyId: String) async throws -> KeyMetadata {
            try await call("DescribeKey") { try await base.describeKey(keyId: keyId) }
        }
        func scheduleKeyDeletion(keyId: String, pendingWindowDays: Int) async throws {
            try await call("ScheduleKeyDeletion") { try await base.scheduleKeyDeletion(keyId: keyId, pendingWindowDays: pendingWindowDays) }
        }
        func disableKey(keyId: String) async throws { try await call("DisableKey") { try await base.disableKey(keyId: keyId) } }
        func keyRotationEnabled(keyId: String) async throws -> Bool {
            try await call("GetKeyRotationStatus") { try await base.keyRotationEnabled(keyId: keyId) }
        }
        func rotateNow(keyId: String) async throws { try await call("RotateKeyOnDemand") { try await base.rotateNow(keyId: keyId) } }
        func materialDate(keyId: String) async throws -> Date? {
            try await call("ListKeyRotations") { try await base.materialDate(keyId: keyId) }
        }
        func tags(keyId: String) async throws -> [String: String] {
            try await call("ListResourceTags") { try await base.tags(keyId: keyId) }
        }
        func listKeyIds() async throws -> [String] { try await call("ListKeys") { try await base.listKeyIds() } }
        func tagKey(keyId: String, tags: [String: String]) async throws {
            try await call("TagResource") { try await base.tagKey(keyId: keyId, tags: tags) }
        }
        func keysTagged(_ tagKey: String) async throws -> [TaggedKey] {
            try await call("GetResources") { try await base.keysTagged(tagKey) }
        }
    }

    static func job(depth: AuditDepth = .standard, pageAttempts: Int = 4) -> AuditJob {
        var scan = ScanEngine.Configuration(totalSegments: 4, concurrency: 2, pageSize: 9)
        scan.pageAttempts = pageAttempts
        scan.pageRetryDelay = .zero
        return AuditJob(configuration: .init(scan: scan, depth: depth))
    }

    static func run(_ job: AuditJob, _ store: TemporaryStore, keys: any KeyService, checkpoint: String? = nil,
                    resume: Bool = false) async throws -> JobReport {
        let state = try RunState(path: checkpoint, fingerprint: job.fingerprint(table: store.store.table), resume: resume)
        let report = try await job.run(table: store.store.table, keys: keys, state: state, logger: logger)
        if report.complete { state.discard() }
        return report
    }

    /// What must be equal between a resumed run and the fault-free one.
    static func result(_ report: JobReport) -> [String] {
        [String(report.complete), String(report.users), String(report.scanned), String(report.verified),
         report.summary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
            + report.findings.map { "\($0.userId ?? "-") \($0.code.rawValue) \($0.keyId ?? "-")" }
    }

    static func seeded() async throws -> TemporaryStore {
        let store = try TemporaryStore()
        _ = try await Seeder(service: store.service).run(.init(users: 60, defects: 16, seed: 21), logger: logger)
        return store
    }

    @Test("an endpoint that dies mid-run: the run stops uncommitted, never with UNVERIFIABLE; resumed on a healthy one, it equals the fault-free run",
          arguments: AuditDepth.allCases)
    func dyingEndpoint(depth: AuditDepth) async throws {
        let store = try await Self.seeded()
        defer { store.cleanup() }
        let faultFree = try await Self.run(Self.job(depth: depth), store, keys: store.store.keys)
        #expect(faultFree.complete && faultFree.users == 60)

        let checkpoint = store.directory.appendingPathComponent("run.checkpoint").path
        let dying = FlakyKeys.dying(store.store.keys, after: 40)
        await #expect(throws: ServiceFailure.self) {
            _ = try await Self.run(Self.job(depth: depth, pageAttempts: 2), store, keys: dying, checkpoint: checkpoint)
        }
        let partial = try RunState(path: checkpoint, fingerprint: Self.job(depth: depth).fingerprint(table: store.store.table),
                                   resume: true)
        let committed = try partial.records(kind: "finding").map { try JSONDecoder().decode(Finding.self, from: $0.value) }
        #expect(!committed.contains { $0.code == .unverifiable }, "an outage is no finding: \(committed.filter { $0.code == .unverifiable })")
        #expect(try partial.finishedSegments() < 4, "the outage stopped the run")

        let resumed = try await Self.run(Self.job(depth: depth), store, keys: store.store.keys, checkpoint: checkpoint, resume: true)
        #expect(Self.result(resumed) == Self.result(faultFree))
        #expect(!FileManager.default.fileExists(atPath: checkpoint), "a complete run removes its checkpoint")
    }

    @Test("a short outage: the pages it hit are tried again later in the same run, which equals the fault-free one")
    func shortOutage() async throws {
        let store = try await Self.seeded()
        defer { store.cleanup() }
        let faultFree = try await Self.run(Self.job(), store, keys: store.store.keys)
        // Three failed requests: fewer than the four tries a page gets, however few of them each
        // try uses (after a failure no new request starts, so a try may use only one).
        let outage = FlakyKeys(store.store.keys) { request, operation in
            (30..<33).contains(request) ? .throttled("kms \(operation) failed: ThrottlingException after 3 attempts") : nil
        }
        let report = try await Self.run(Self.job(), store, keys: outage)
        #expect(Self.result(report) == Self.result(faultFree))
        #expect(outage.requests > faultFree.stats.kmsRequests, "the failed pages were sent again")
    }

    @Test("the CreatedBy listing throttled three times is tried again, not cached; never available, the run stops without findings from it")
    func taggingListing() async throws {
        let store = try await Self.seeded()
        defer { store.cleanup() }
        let faultFree = try await Self.run(Self.job(depth: .deep), store, keys: store.store.keys)
        let listings = Mutex(0)
        let throttledThrice = FlakyKeys(store.store.keys) { _, operation in
            guard operation == "GetResources" else { return nil }
            let attempt = listings.withLock { count in
                count += 1
                return count
            }
            return attempt <= 3 ? .throttled("tagging GetResources failed: ThrottlingException (HTTP 400) after 3 attempts") : nil
        }
        let report = try await Self.run(Self.job(depth: .deep), store, keys: throttledThrice)
        #expect(Self.result(report) == Self.result(faultFree))
        #expect(listings.withLock { $0 } >= 4)

        let never = FlakyKeys(store.store.keys) { _, operation in
            operation == "GetResources" ? .throttled("tagging GetResources failed: ThrottlingException (HTTP 400) after 3 attempts") : nil
        }
        let checkpoint = store.directory.appendingPathComponent("tagging.checkpoint").path
        do {
            _ = try await Self.run(Self.job(depth: .deep), store, keys: never, checkpoint: checkpoint)
            Issue.record("a run without the listing cannot evaluate legacy users: it must stop")
        } catch let failure as ServiceFailure {
            #expect(failure.detail.contains("tagging GetResources"), "the error names the service: \(failure.detail)")
        }
        let partial = try RunState(path: checkpoint, fingerprint: Self.job(depth: .deep).fingerprint(table: store.store.table),
                                   resume: true)
        #expect(try partial.records(kind: "finding").isEmpty, "no page was committed without the listing")
        partial.discard()
    }

    @Test("access denied on one user's key is a verdict (UNVERIFIABLE), not a service failure")
    func accessDeniedIsAVerdict() async throws {
        let store = try await Self.seeded()
        defer { store.cleanup() }
        let denied = FlakyKeys(store.store.keys) { request, operation in
            operation == "ReEncrypt" && request % 7 == 0 ? .accessDenied("kms ReEncrypt failed: AccessDeniedException") : nil
        }
        let report = try await Self.run(Self.job(), store, keys: denied)
        #expect(report.complete)
        #expect((report.summary["UNVERIFIABLE"] ?? 0) > 0)
    }
}
