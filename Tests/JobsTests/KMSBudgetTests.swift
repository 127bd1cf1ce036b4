import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

@Suite("KMS request budgets")
struct KMSBudgetTests {
    @Test("defaults are AWS's default quotas: ReEncrypt counts against the shared cryptographic one")
    func defaults() {
        let limits = KMSRateLimits.awsDefaults.perSecond
        #expect(limits["Cryptographic"] == 5_500)
        #expect(limits["DescribeKey"] == 2_000)
        #expect(limits["GetKeyRotationStatus"] == 1_000)
        #expect(limits["ReEncrypt"] == nil, "ReEncrypt has no quota of its own")
    }

    @Test("--kms-rate NAME=N overrides one budget; 0 lifts it; bad input is refused")
    func overrides() throws {
        let parsed = try #require(KMSRateLimits.parseOverride("DescribeKey=100"))
        #expect(parsed.name == "DescribeKey" && parsed.rate == 100)
        let limits = KMSRateLimits.awsDefaults.overriding(["DescribeKey": 100, "Cryptographic": 0])
        #expect(limits.perSecond["DescribeKey"] == 100 && limits.perSecond["Cryptographic"] == nil)
        #expect(limits.description.contains("DescribeKey=100"))
        for bad in ["DescribeKey", "=5", "DescribeKey=-1", "DescribeKey=fast", "DescribeKey=inf"] {
            #expect(KMSRateLimits.parseOverride(bad) == nil, "\(bad)")
        }
    }

    @Test("a limited key service answers exactly as the one it wraps")
    func passesThrough() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let keys = store.store.keys
        let limited = RateLimitedKeyService(keys, limits: KMSRateLimits(["DescribeKey": 1_000, "Cryptographic": 1_000]))
        let key = try await limited.createKey(description: "budgeted", tags: ["CreatedBy": "u-1"])
        let blob = try await limited.encrypt(keyId: key.arn, plaintext: Data("a-password".utf8), context: ["userId": "u-1"])
        let described = await limited.describeKeys([key.arn, "arn:aws:kms:local:000000000000:key/absent"])
        #expect((try described[0].get()).state == .enabled)
        #expect(throws: KeyServiceError.self) { try described[1].get() }
        let proof = try await limited.reEncrypt(ReEncryptRequest(
            ciphertext: blob, sourceKeyId: key.arn, sourceContext: ["userId": "u-1"], destinationKeyId: key.arn,
            destinationContext: ["userId": "u-1"]))
        #expect(KeyReference.bareKeyId(proof.sourceKeyId) == key.keyId)
    }

    @Test("a spent budget holds the next request back until it refills (here: ~1,000 s, so it is still waiting when cancelled)")
    func holdsBack() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let key = try await store.store.keys.createKey(description: "budgeted", tags: [:])
        let limited = RateLimitedKeyService(store.store.keys, limits: KMSRateLimits(["DescribeKey": 0.001]))
        _ = try await limited.describeKey(keyId: key.arn)  // the budget's one token
        let second = Task { try await limited.describeKey(keyId: key.arn) }
        try await Task.sleep(for: .milliseconds(200))
        second.cancel()
        await #expect(throws: CancellationError.self) { _ = try await second.value }
        // Unlimited, the same call answers at once.
        let free = RateLimitedKeyService(store.store.keys, limits: .none)
        #expect(try await free.describeKey(keyId: key.arn).state == .enabled)
    }
}
