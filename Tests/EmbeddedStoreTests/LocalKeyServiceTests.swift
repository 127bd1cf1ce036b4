import EmbeddedStore
import Foundation
import Testing
import TestSupport
import UserVaultCore

@Suite("The local key service")
struct LocalKeyServiceTests {
    let context = ["userId": "u-1"]

    @Test("ciphertext is self-describing: a version byte and the key id")
    func format() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let key = try await store.store.keys.createKey(description: "t", tags: [:])
        let blob = try await store.store.keys.encrypt(keyId: key.arn, plaintext: Data("pw".utf8), context: context)
        #expect(blob.first == 1)
        #expect(Int(blob[1]) == key.keyId.utf8.count)
        #expect(String(decoding: blob[2..<(2 + key.keyId.utf8.count)], as: UTF8.self) == key.keyId)
    }

    @Test("re-encrypt to the same key proves a ciphertext without decrypting")
    func reEncryptSameKey() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let keys = store.store.keys
        let key = try await keys.createKey(description: "t", tags: ["CreatedBy": "u-1"])
        let blob = try await keys.encrypt(keyId: key.keyId, plaintext: Data("pw-secret".utf8), context: context)
        let result = try await keys.reEncrypt(ReEncryptRequest(
            ciphertext: blob, sourceKeyId: key.arn, sourceContext: context, destinationKeyId: key.arn,
            destinationContext: context))
        #expect(result.sourceKeyId == key.arn)
        // Same key, version and context: the authenticated input is already the answer.
        #expect(result.ciphertext == blob)
        #expect(try await keys.unsafeDecryptForTesting(result.ciphertext, context: context) == Data("pw-secret".utf8))
        // Another context: a new ciphertext, bound to the new context only.
        let moved = try await keys.reEncrypt(ReEncryptRequest(
            ciphertext: blob, sourceKeyId: key.arn, sourceContext: context, destinationKeyId: key.arn,
            destinationContext: ["userId": "u-2"]))
        #expect(moved.ciphertext != blob)
        #expect(try await keys.unsafeDecryptForTesting(moved.ciphertext, context: ["userId": "u-2"]) == Data("pw-secret".utf8))
        await #expect(throws: KeyServiceError.self) { _ = try await keys.unsafeDecryptForTesting(moved.ciphertext, context: context) }
    }

    @Test("wrong context, wrong key, tampering and garbage are refused")
    func refusals() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let keys = store.store.keys
        let key = try await keys.createKey(description: "t", tags: [:])
        let other = try await keys.createKey(description: "o", tags: [:])
        let blob = try await keys.encrypt(keyId: key.keyId, plaintext: Data("pw".utf8), context: context)
        func proof(_ blob: Data, source: String? = nil, context: [String: String]) async throws {
            _ = try await keys.reEncrypt(ReEncryptRequest(
                ciphertext: blob, sourceKeyId: source, sourceContext: context, destinationKeyId: key.keyId,
                destinationContext: context))
        }
        await #expect(throws: KeyServiceError.invalidCiphertext) { try await proof(blob, context: [:]) }
        await #expect(throws: KeyServiceError.invalidCiphertext) { try await proof(blob, context: ["userId": "u-2"]) }
        await #expect(throws: KeyServiceError.incorrectKey) { try await proof(blob, source: other.arn, context: context) }
        var tampered = blob
        tampered[tampered.count - 1] ^= 1
        await #expect(throws: KeyServiceError.invalidCiphertext) { try await proof(tampered, context: context) }
        await #expect(throws: KeyServiceError.invalidCiphertext) { try await proof(Data("hunter2".utf8), context: context) }
        await #expect(throws: KeyServiceError.invalidCiphertext) { try await proof(blob.prefix(blob.count / 2), context: context) }
    }

    @Test("key state is enforced on crypto calls, and read by describe")
    func states() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let keys = store.store.keys
        let disabled = try await keys.createKey(description: "d", tags: [:])
        let doomed = try await keys.createKey(description: "p", tags: [:])
        try await keys.disableKey(keyId: disabled.keyId)
        try await keys.scheduleKeyDeletion(keyId: doomed.arn, pendingWindowDays: 7)
        #expect(try await keys.describeKey(keyId: disabled.arn).state == .disabled)
        #expect(try await keys.describeKey(keyId: doomed.keyId).state == .pendingDeletion)
        await #expect(throws: KeyServiceError.disabled) {
            _ = try await keys.encrypt(keyId: disabled.keyId, plaintext: Data(), context: [:])
        }
        await #expect(throws: KeyServiceError.invalidState) {
            _ = try await keys.encrypt(keyId: doomed.keyId, plaintext: Data(), context: [:])
        }
        await #expect(throws: KeyServiceError.notFound) { _ = try await keys.describeKey(keyId: "nope") }
        await #expect(throws: KeyServiceError.self) {
            try await keys.scheduleKeyDeletion(keyId: disabled.keyId, pendingWindowDays: 3)
        }
    }

    @Test("tags, rotation flag and listing")
    func metadata() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let keys = store.store.keys
        let key = try await keys.createKey(description: "t", tags: ["CreatedBy": "u-9", "Team": "x"])
        #expect(try await keys.tags(keyId: key.arn) == ["CreatedBy": "u-9", "Team": "x"])
        #expect(try await !keys.keyRotationEnabled(keyId: key.keyId))
        try await keys.enableKeyRotation(keyId: key.arn)
        #expect(try await keys.keyRotationEnabled(keyId: key.keyId))
        #expect(try await keys.listKeyIds() == [key.keyId])
        #expect(try await keys.describeKey(keyId: key.keyId).keyManager == "CUSTOMER")
    }

    @Test("rotate now: new material, a younger material date, old ciphertexts still proven; a disabled key refuses")
    func rotateNow() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let keys = store.store.keys
        let key = try await keys.createKey(description: "t", tags: ["CreatedBy": "u1"])
        let created = try #require(try await keys.materialDate(keyId: key.keyId))
        let context = ["userId": "u1"]
        let before = try await keys.encrypt(keyId: key.arn, plaintext: Data("pw".utf8), context: context)
        try await Task.sleep(for: .milliseconds(20))
        try await keys.rotateNow(keyId: key.arn)
        let rotated = try #require(try await keys.materialDate(keyId: key.keyId))
        #expect(rotated > created)
        let after = try await keys.encrypt(keyId: key.arn, plaintext: Data("pw".utf8), context: context)
        #expect(after != before)
        for blob in [before, after] {
            let proof = try await keys.reEncrypt(ReEncryptRequest(ciphertext: blob, sourceKeyId: key.arn, sourceContext: context,
                                                                  destinationKeyId: key.arn, destinationContext: context))
            #expect(KeyReference.bareKeyId(proof.sourceKeyId) == key.keyId)
        }
        try await keys.disableKey(keyId: key.keyId)
        await #expect(throws: KeyServiceError.disabled) { try await keys.rotateNow(keyId: key.keyId) }
    }
}
