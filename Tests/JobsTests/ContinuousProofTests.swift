import EmbeddedStore
import Foundation
import Jobs
import Logging
import Testing
import TestSupport
import UserVaultCore

/// Proving changed users again, on the embedded store: the same verdicts as the nightly audit,
/// what opens and resolves, and where a round stops when a service fails.
@Suite("Continuous proofs")
struct ContinuousProofTests {
    static let silent = Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }

    @Test("a re-proof of every user gives each the nightly audit's per-user findings, at both depths", arguments: AuditDepth.allCases)
    func sameVerdicts(depth: AuditDepth) async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        _ = try await Seeder(service: store.service).run(.init(users: 30, defects: 12, seed: 11), logger: Self.silent)
        var items: [StoredItem] = []
        var after: String?
        repeat {
            let page = try await store.store.table.scan(ScanRequest(startAfter: after, limit: 100, projection: .full))
            items += page.items.filter(\.isUser)
            after = page.lastEvaluatedId
        } while after != nil
        let keys = store.store.keys
        let nightly = try await AuditJob.verdicts(of: items, verifier: CredentialVerifier(keys: keys, depth: depth, ownership: KeyOwnership(keys: keys)))
        let proof = ContinuousProof(table: store.store.table, keys: keys, configuration: .init(depth: depth, keyState: .proof, batchSize: 7))
        let round = await proof.prove(items.map(\.id) + ["no-such-user"])
        #expect(round.failedAt == nil && round.proven.count == items.count + 1)
        for (item, verdict) in zip(items, nightly) {
            let proven = try #require(round.proven.first { $0.userId == item.id })
            #expect(Set(proven.findings.map(\.code)) == Set(verdict.findings.map(\.code)), "\(item.id)")
        }
        #expect(round.proven.last == .init(userId: "no-such-user", exists: false, findings: []))
        #expect(round.proven.contains { !$0.findings.isEmpty })
    }

    static func finding(_ code: FindingCode, _ user: String) -> Finding { Finding(code, userId: user, detail: "d") }

    @Test("changes: found now and not open is opened; open and decided and not found is resolved; what a re-proof cannot decide stays open; a user gone resolves all")
    func changes() {
        let open = [Self.finding(.keyDisabled, "a"), Self.finding(.keyShared, "a"), Self.finding(.keyRotationDisabled, "a"),
                    Self.finding(.credentialsPlaintext, "b"), Self.finding(.duplicateEmail, "c"), Self.finding(.keyDisabled, "z")]
        let proven: [ContinuousProof.Proven] = [
            .init(userId: "a", exists: true, findings: [Self.finding(.keyPendingDeletion, "a")]),
            .init(userId: "b", exists: true, findings: [Self.finding(.credentialsPlaintext, "b")]),
            .init(userId: "c", exists: false, findings: []),
        ]
        let standard = FindingChanges(open: open, proven: proven, coverage: .init(depth: .standard, keyState: .proof))
        #expect(standard.opened.map { "\($0.userId!)|\($0.code.rawValue)" } == ["a|KEY_PENDING_DELETION"])
        #expect(Set(standard.resolved.map { "\($0.userId!)|\($0.code.rawValue)" }) == ["a|KEY_DISABLED", "c|DUPLICATE_EMAIL"],
                "a shared key and (standard) rotation stay open; z was not proven")
        #expect(standard.current.count == 2)
        let deep = FindingChanges(open: open, proven: proven, coverage: .init(depth: .deep, keyState: .proof))
        #expect(Set(deep.resolved.map(\.code)) == [.keyDisabled, .keyRotationDisabled, .duplicateEmail])
        #expect(ReproofCoverage(depth: .standard, keyState: .proof).decides(.keyNotCustomerManaged) == false)
        #expect(ReproofCoverage(depth: .standard, keyState: .describe).decides(.keyNotCustomerManaged))
        #expect(ReproofCoverage(depth: .deep, keyState: .proof).decides(.keyOwnerMismatch))
        #expect(!ReproofCoverage(depth: .deep, keyState: .proof).decides(.orphanKey))
    }

    @Test("accepted findings: marked once, in the changes; one open as accepted whose rule has ended opens again, unaccepted; one open and accepted now only changes its mark")
    func acceptance() throws {
        let day = try #require(CalendarDay("2027-04-10"))
        let rule = SuppressionRule(id: "legacy", codes: [.credentialsPlaintext], table: "users", reason: "SEC-42", owner: "sec", expires: day)
        func acceptance(_ date: String) -> FindingAcceptance {
            let noon = ISO8601DateFormatter().date(from: date + "T12:00:00Z") ?? Date.distantPast
            return FindingAcceptance(suppressions: Suppressions(source: "s.yaml", rules: [rule]), table: "users", now: { noon })
        }
        var accepted = Self.finding(.credentialsPlaintext, "a")
        accepted.suppressed = rule.mark
        let proven: [ContinuousProof.Proven] = [
            .init(userId: "a", exists: true, findings: [Self.finding(.credentialsPlaintext, "a")]),
            .init(userId: "b", exists: true, findings: [Self.finding(.credentialsPlaintext, "b"), Self.finding(.keyDisabled, "b")]),
        ]
        let coverage = ReproofCoverage(depth: .standard, keyState: .proof)
        // In force: a (open, accepted) stays; b's plaintext (open, unaccepted) is accepted now, not opened; b's key is new.
        let inForce = FindingChanges(open: [accepted, Self.finding(.credentialsPlaintext, "b")], proven: proven, coverage: coverage,
                                     acceptance: acceptance("2027-04-10"))
        #expect(inForce.opened.map { "\($0.userId!)|\($0.code.rawValue)" } == ["b|KEY_DISABLED"])
        #expect(inForce.accepted.map(\.userId) == ["a", "b"] && inForce.current.count == 3)
        #expect(inForce.accepted.allSatisfy { $0.suppressed == rule.mark })
        // The day after the rule's last: a opens again, unaccepted; b's plaintext too, counted as opened once.
        let ended = FindingChanges(open: [accepted], proven: proven, coverage: coverage, acceptance: acceptance("2027-04-11"))
        #expect(ended.opened.map { "\($0.userId!)|\($0.code.rawValue)" } == ["a|CREDENTIALS_PLAINTEXT", "b|CREDENTIALS_PLAINTEXT", "b|KEY_DISABLED"])
        #expect(ended.accepted.isEmpty)
        var metrics = ContinuousMetrics()
        var round = ContinuousProof.Round()
        round.proven = proven
        metrics.add(round, inForce)
        #expect((metrics.findings, metrics.opened, metrics.suppressed) == (1, 1, 2), "accepted findings are not counted")
    }

    /// Keys whose every request about one key id fails as a throttled service would.
    struct ThrottledKey: KeyService {
        let base: EmbeddedKeyService
        let throttled: String

        var backendName: String { base.backendName }
        func fail(_ keyId: String) throws {
            if KeyReference.bareKeyId(keyId) == throttled { throw KeyServiceError.throttled("throttled by the test") }
        }
        func createKey(description: String, tags: [String: String]) async throws -> KeyMetadata { try await base.createKey(description: description, tags: tags) }
        func enableKeyRotation(keyId: String) async throws { try await base.enableKeyRotation(keyId: keyId) }
        func encrypt(keyId: String, plaintext: Data, context: [String: String]) async throws -> Data {
            try await base.encrypt(keyId: keyId, plaintext: plaintext, context: context)
        }
        func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
            try fail(request.destinationKeyId)
            return try await base.reEncrypt(request)
        }
        func reEncrypt(all requests: [ReEncryptRequest]) async -> [Result<ReEncryptResult, any Error>] {
            await Self.concurrentMap(requests) { try await reEncrypt($0) }
        }
        func describeKey(keyId: String) async throws -> KeyMetadata {
            try fail(keyId)
            return try await base.describeKey(keyId: keyId)
        }
        func describeKeys(_ keyIds: [String]) async -> [Result<KeyMetadata, any Error>] {
            await Self.concurrentMap(keyIds) { try await describeKey(keyId: $0) }
        }
        func scheduleKeyDeletion(keyId: String, pendingWindowDays: Int) async throws {
            try await base.scheduleKeyDeletion(keyId: keyId, pendingWindowDays: pendingWindowDays)
        }
        func disableKey(keyId: String) async throws { try await base.disableKey(keyId: keyId) }
        func keyRotationEnabled(keyId: String) async throws -> Bool { try await base.keyRotationEnabled(keyId: keyId) }
        func rotateNow(keyId: String) async throws { try await base.rotateNow(keyId: keyId) }
        func materialDate(keyId: String) async throws -> Date? { try await base.materialDate(keyId: keyId) }
        func tags(keyId: String) async throws -> [String: String] { try await base.tags(keyId: keyId) }
        func listKeyIds() async throws -> [String] { try await base.listKeyIds() }
        func tagKey(keyId: String, tags: [String: String]) async throws { try await base.tagKey(keyId: keyId, tags: tags) }
        func keysTagged(_ tagKey: String) async throws -> [TaggedKey] { try await base.keysTagged(tagKey) }
    }

    @Test("a service failure about the 3rd of 5 users stops the round there: the two before keep their verdicts", arguments: [1, 2, 5])
    func failure(batchSize: Int) async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        var ids: [String] = []
        for index in 0..<5 {
            ids.append(try await store.service.create(.init(firstname: "U", lastname: "\(index)", email: "u\(index)@example.com",
                                                            username: "user\(index)", credentials: "a long passphrase"),
                                                      logger: Self.silent).id)
        }
        let third = try #require(try await store.store.table.item(id: ids[2])?.credentialsKeyId)
        let keys = ThrottledKey(base: store.store.keys, throttled: KeyReference.bareKeyId(third))
        let proof = ContinuousProof(table: store.store.table, keys: keys, configuration: .init(keyState: .describe, batchSize: batchSize))
        let round = await proof.prove(ids)
        #expect(round.failedAt == 2, "\(round.failure ?? "")")
        #expect(round.proven.map(\.userId) == Array(ids.prefix(2)) && round.proven.allSatisfy { $0.findings.isEmpty })
        #expect(round.failure?.contains("throttled") == true)
    }
}
