import Foundation
import UserVaultCore

/// Client-side request-rate limits per KMS API, so a job never exceeds the account's KMS request
/// quotas (which every other caller of KMS in the account shares).
///
/// The defaults are AWS's documented default quotas, taking the lowest regional value where it
/// varies (https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html).
/// Operations without an entry are not limited.
public struct KMSRateLimits: Sendable, Hashable, CustomStringConvertible {
    /// Requests per second by quota name: an API name (`DescribeKey`) or `Cryptographic` (the
    /// quota Encrypt, Decrypt and ReEncrypt share).
    public var perSecond: [String: Double]

    public init(_ perSecond: [String: Double]) {
        self.perSecond = perSecond
    }

    public static let none = KMSRateLimits([:])

    /// AWS's default KMS request quotas (requests per second).
    public static let awsDefaults = KMSRateLimits([
        "Cryptographic": 5_500,      // symmetric keys; 10,000–100,000 in the larger regions
        "DescribeKey": 2_000,
        "GetKeyRotationStatus": 1_000,
        "ListKeys": 500,
        "ListResourceTags": 50,
        "CreateKey": 50,
        "EnableKeyRotation": 5,
        "RotateKeyOnDemand": 5,
        // Not in the documented default table we could find: kept low; --kms-rate raises it.
        "ListKeyRotations": 50,
        "DisableKey": 5,
        "ScheduleKeyDeletion": 5,
        "TagResource": 5,
    ])

    /// The quota an operation counts against.
    static func quota(of operation: String) -> String {
        ["Encrypt", "Decrypt", "ReEncrypt"].contains(operation) ? "Cryptographic" : operation
    }

    /// Every limit times `factor` (a share of the account's quotas).
    public func scaled(by factor: Double) -> KMSRateLimits {
        KMSRateLimits(perSecond.mapValues { $0 * factor })
    }

    /// Applies `NAME=N` overrides (N requests per second; 0 removes the limit).
    public func overriding(_ overrides: [String: Double]) -> KMSRateLimits {
        var copy = self
        for (name, rate) in overrides { copy.perSecond[name] = rate > 0 ? rate : nil }
        return copy
    }

    /// Parses `NAME=N`.
    public static func parseOverride(_ text: String) -> (name: String, rate: Double)? {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let rate = Double(parts[1]), rate >= 0, rate.isFinite else { return nil }
        return (parts[0], rate)
    }

    public var description: String {
        perSecond.isEmpty ? "none"
            : perSecond.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.format($0.value))" }.joined(separator: ",")
    }

    private static func format(_ rate: Double) -> String {
        JobBudgets.format(rate)
    }
}

/// A ``KeyService`` that waits for its quota's token bucket before every request, and slows a
/// quota's bucket down when KMS throttles (``ThrottleWatch``).
public struct RateLimitedKeyService: KeyService {
    let base: any KeyService
    private let buckets: [String: TokenBucket]
    private let throttles: ThrottleWatch?

    /// - Parameter throttles: the KMS client's throttled answers; each new one slows down the
    ///   bucket of the next request admitted.
    public init(_ base: any KeyService, limits: KMSRateLimits, throttles: ThrottleWatch? = nil) {
        self.base = base
        buckets = limits.perSecond.mapValues { TokenBucket(rate: $0) }
        self.throttles = throttles
    }

    public var backendName: String { base.backendName }

    private func admit(_ operation: String, _ count: Int = 1) async throws {
        guard count > 0, let bucket = buckets[KMSRateLimits.quota(of: operation)] else { return }
        try await admit(count, to: bucket)
    }

    private func admit(_ count: Int, to bucket: TokenBucket) async throws {
        if throttles?.throttledSinceLastLook() == true { await bucket.slowDown() }
        try await bucket.take(Double(count))
    }

    /// A batch under a budget is sent request by request, each admitted by the bucket (KMS has
    /// no batch API: a page of 1,000 users is 1,000 requests, which must not leave at once); a
    /// batch without a budget goes to the base whole (the embedded store answers it in one read).
    private func batch<Input: Sendable, T: Sendable>(
        _ operation: String, _ inputs: [Input],
        whole: () async -> [Result<T, any Error>], each: @escaping @Sendable (Input) async throws -> T
    ) async -> [Result<T, any Error>] {
        guard let bucket = buckets[KMSRateLimits.quota(of: operation)] else { return await whole() }
        return await UserVaultCore.concurrentMap(inputs) { [self] input in
            try await admit(1, to: bucket)
            return try await each(input)
        }
    }

    public func describeKeys(_ keyIds: [String]) async -> [Result<KeyMetadata, any Error>] {
        await batch("DescribeKey", keyIds, whole: { await base.describeKeys(keyIds) }) { [base] in try await base.describeKey(keyId: $0) }
    }

    public func reEncrypt(all requests: [ReEncryptRequest]) async -> [Result<ReEncryptResult, any Error>] {
        await batch("ReEncrypt", requests, whole: { await base.reEncrypt(all: requests) }) { [base] in try await base.reEncrypt($0) }
    }

    public func keyRotationEnabled(all keyIds: [String]) async -> [Result<Bool, any Error>] {
        await batch("GetKeyRotationStatus", keyIds, whole: { await base.keyRotationEnabled(all: keyIds) }) { [base] in
            try await base.keyRotationEnabled(keyId: $0)
        }
    }

    public func createKey(description: String, tags: [String: String]) async throws -> KeyMetadata {
        try await admit("CreateKey")
        return try await base.createKey(description: description, tags: tags)
    }

    public func enableKeyRotation(keyId: String) async throws {
        try await admit("EnableKeyRotation")
        try await base.enableKeyRotation(keyId: keyId)
    }

    public func encrypt(keyId: String, plaintext: Data, context: [String: String]) async throws -> Data {
        try await admit("Encrypt")
        return try await base.encrypt(keyId: keyId, plaintext: plaintext, context: context)
    }

    public func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
        try await admit("ReEncrypt")
        return try await base.reEncrypt(request)
    }

    public func describeKey(keyId: String) async throws -> KeyMetadata {
        try await admit("DescribeKey")
        return try await base.describeKey(keyId: keyId)
    }

    public func scheduleKeyDeletion(keyId: String, pendingWindowDays: Int) async throws {
        try await admit("ScheduleKeyDeletion")
        try await base.scheduleKeyDeletion(keyId: keyId, pendingWindowDays: pendingWindowDays)
    }

    public func disableKey(keyId: String) async throws {
        try await admit("DisableKey")
        try await base.disableKey(keyId: keyId)
    }

    public func keyRotationEnabled(keyId: String) async throws -> Bool {
        try await admit("GetKeyRotationStatus")
        return try await base.keyRotationEnabled(keyId: keyId)
    }

    public func rotateNow(keyId: String) async throws {
        try await admit("RotateKeyOnDemand")
        try await base.rotateNow(keyId: keyId)
    }

    public func materialDate(keyId: String) async throws -> Date? {
        try await admit("ListKeyRotations")
        return try await base.materialDate(keyId: keyId)
    }

    public func tags(keyId: String) async throws -> [String: String] {
        try await admit("ListResourceTags")
        return try await base.tags(keyId: keyId)
    }

    public func listKeyIds() async throws -> [String] {
        try await admit("ListKeys")
        return try await base.listKeyIds()
    }

    public func tagKey(keyId: String, tags: [String: String]) async throws {
        try await admit("TagResource")
        try await base.tagKey(keyId: keyId, tags: tags)
    }

    public func keysTagged(_ tagKey: String) async throws -> [TaggedKey] {
        // The Resource Groups Tagging API, not KMS: no KMS budget applies. (A backend without it
        // falls back to ListKeys + ListResourceTags inside itself, unbudgeted: one listing per run.)
        try await base.keysTagged(tagKey)
    }

    public func keysTagged(_ tagKey: String, values: [String]) async throws -> [TaggedKey] {
        try await base.keysTagged(tagKey, values: values)
    }
}
