import Foundation
import Jobs
import Logging
import Testing
import TestSupport
import UserVaultCore

@Suite("The audit's per-user verification, on the embedded store")
struct CredentialVerifierTests {
    /// The code each planted defect must produce (shared keys are found across the scan).
    static let expected: [DefectKind: FindingCode?] = [
        .plaintextString: .credentialsPlaintext, .plaintextBytes: .credentialsPlaintext,
        .randomBytes: .notKMSCiphertext, .truncatedCiphertext: .notKMSCiphertext,
        .missingCredentials: .credentialsMissing, .disabledKey: .keyDisabled,
        .pendingDeletionKey: .keyPendingDeletion, .sharedKey: nil, .foreignOwnerTag: nil,
    ]

    @Test("every planted defect gets its finding, no clean user gets one; at most 2 key requests per user (3 deep)",
          arguments: AuditDepth.allCases)
    func seededDefects(depth: AuditDepth) async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let outcome = try await Seeder(service: store.service).run(
            .init(users: 40, defects: 18, seed: 7), logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        let planted = Dictionary(uniqueKeysWithValues: outcome.defects.map { ($0.userId, $0) })
        let keys = store.store.keys
        let verifier = CredentialVerifier(keys: keys, depth: depth, ownership: KeyOwnership(keys: keys))
        var keyUsers: [String: Set<String>] = [:]
        var users = 0
        var after: String?
        repeat {
            let page = try await store.store.table.scan(ScanRequest(startAfter: after, limit: 25, projection: .full))
            for item in page.items where item.isUser {
                users += 1
                let verdict = try await verifier.verify(item)
                #expect(verdict.keyRequests <= (depth == .deep ? 3 : 2))
                if let keyId = verdict.keyId { keyUsers[KeyReference.bareKeyId(keyId), default: []].insert(item.id) }
                let codes = verdict.findings.map(\.code)
                // Deep: a key tagged for someone else — planted, or the lender's key a borrower uses.
                let foreignTag = planted[item.id]?.kind == .foreignOwnerTag
                    || outcome.defects.contains { $0.kind == .sharedKey && $0.userId == item.id }
                let deepCode: FindingCode? = foreignTag && depth == .deep ? .keyOwnerMismatch : nil
                if let code = planted[item.id].flatMap({ Self.expected[$0.kind] ?? nil }) ?? deepCode {
                    #expect(codes == [code], "\(planted[item.id]?.kind.rawValue ?? "lender")")
                } else {
                    #expect(codes.isEmpty, "a clean (or shared-key) user has no per-user finding: \(codes)")
                    #expect(verdict.verified)
                }
            }
            after = page.lastEvaluatedId
        } while after != nil
        #expect(users == 40)
        // Shared keys: the borrower and the owner are the only users on one key.
        let shared = keyUsers.values.filter { $0.count > 1 }
        let sharedDefects = outcome.defects.filter { $0.kind == .sharedKey }
        #expect(shared.count == sharedDefects.count)
        for defect in sharedDefects {
            #expect(shared.contains([defect.userId, defect.otherUserId!]))
        }
    }

    @Test("a legacy record (no key id, no context) is verified through the key tagged CreatedBy")
    func legacy() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let keys = store.store.keys
        let id = UUID().uuidString.lowercased()
        let key = try await keys.createKey(description: "legacy", tags: ["CreatedBy": id])
        let blob = try await keys.encrypt(keyId: key.keyId, plaintext: Data("legacy-password".utf8), context: [:])
        let item = StoredItem(id: id, type: "users", firstname: "L", lastname: "U", email: "l@example.com",
                              username: "legacy", credentials: .binary(blob))
        let verifier = CredentialVerifier(keys: keys, ownership: KeyOwnership(keys: keys))
        let verdict = try await verifier.verify(item)
        #expect(verdict.findings.isEmpty && verdict.verified)
        #expect(verdict.keyRequests == 2 && verdict.keyId.map(KeyReference.bareKeyId) == key.keyId)
        // Deep: the legacy key's rotation is off (the original service never turned it on).
        let deep = try await CredentialVerifier(keys: keys, depth: .deep, ownership: KeyOwnership(keys: keys)).verify(item)
        #expect(deep.findings.map(\.code) == [.keyRotationDisabled])

        var stranger = item
        stranger.id = UUID().uuidString.lowercased()
        let orphaned = try await verifier.verify(stranger)
        #expect(orphaned.findings.map(\.code) == [.keyNotFound])
        #expect(orphaned.keyRequests == 0, "no trial-and-error: the tag listing says there is no key")

        // Two keys tagged for one legacy user: which one holds the credentials is not guessed.
        _ = try await keys.createKey(description: "second", tags: ["CreatedBy": id])
        let ambiguous = try await CredentialVerifier(keys: keys, ownership: KeyOwnership(keys: keys)).verify(item)
        #expect(ambiguous.findings.map(\.code) == [.unverifiable] && ambiguous.keyRequests == 0)
    }

    @Test("findings never carry a password or ciphertext bytes")
    func noSecrets() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let item = StoredItem(id: "u-1", type: "users", credentials: .string("hunter2-plaintext"))
        let keys = store.store.keys
        let verdict = try await CredentialVerifier(keys: keys, ownership: KeyOwnership(keys: keys)).verify(item)
        #expect(verdict.findings.map(\.code) == [.credentialsPlaintext])
        let encoded = String(decoding: try JSONEncoder().encode(verdict.findings), as: UTF8.self)
        #expect(!encoded.contains("hunter2"))
    }
}
