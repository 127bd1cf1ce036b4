import Foundation
import Synchronization

/// The key service: AWS KMS or the embedded store's local equivalent.
///
/// There is deliberately no `decrypt`: neither the API nor the jobs ever hold a plaintext
/// password once it is sealed. Proofs use ``reEncrypt(_:)`` to the same key.
public protocol KeyService: Sendable {
    /// `"embedded"` or `"aws"`.
    var backendName: String { get }

    /// Creates a symmetric customer managed key.
    /// [CreateKey](https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html)
    func createKey(description: String, tags: [String: String]) async throws -> KeyMetadata

    /// [EnableKeyRotation](https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html)
    func enableKeyRotation(keyId: String) async throws

    /// [Encrypt](https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html)
    func encrypt(keyId: String, plaintext: Data, context: [String: String]) async throws -> Data

    /// [ReEncrypt](https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html): proves
    /// a ciphertext (and moves it to another key) without the caller holding the plaintext.
    func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult

    /// [DescribeKey](https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html)
    func describeKey(keyId: String) async throws -> KeyMetadata

    /// [ScheduleKeyDeletion](https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html)
    func scheduleKeyDeletion(keyId: String, pendingWindowDays: Int) async throws

    /// [DisableKey](https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html)
    func disableKey(keyId: String) async throws

    /// [GetKeyRotationStatus](https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html)
    func keyRotationEnabled(keyId: String) async throws -> Bool

    /// Rotates the key's material now (KMS `RotateKeyOnDemand`): old ciphertexts still decrypt.
    func rotateNow(keyId: String) async throws

    /// When the key's material last changed: its latest rotation, or its creation when it was
    /// never rotated.
    func materialDate(keyId: String) async throws -> Date?

    /// [ListResourceTags](https://docs.aws.amazon.com/kms/latest/APIReference/API_ListResourceTags.html)
    func tags(keyId: String) async throws -> [String: String]

    /// [ListKeys](https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeys.html): every key id.
    func listKeyIds() async throws -> [String]

    /// [TagResource](https://docs.aws.amazon.com/kms/latest/APIReference/API_TagResource.html):
    /// adds or overwrites tags.
    func tagKey(keyId: String, tags: [String: String]) async throws

    /// Every key carrying the tag `tagKey`, with that tag's value: the per-user CMKs by their
    /// `CreatedBy` owner. On AWS this reads the Resource Groups Tagging API
    /// ([GetResources](https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html)),
    /// not KMS, so one listing serves a whole scan and costs no KMS request.
    func keysTagged(_ tagKey: String) async throws -> [TaggedKey]

    /// The keys whose tag `tagKey` has one of `values`: the per-user CMKs of a few users, for a
    /// proof of those users alone (a stream batch, a key event) without listing the whole account.
    /// On AWS, the tagging API filtered by value (20 values a request).
    func keysTagged(_ tagKey: String, values: [String]) async throws -> [TaggedKey]

    // MARK: Batches (a page of users at a time)

    /// ``describeKey(keyId:)`` for each id: one result per id, in order. Each is still one
    /// DescribeKey request to KMS (a few in flight at once); a local service answers a batch at once.
    func describeKeys(_ keyIds: [String]) async -> [Result<KeyMetadata, any Error>]

    /// ``reEncrypt(_:)`` for each request, in order (one ReEncrypt request each on KMS).
    func reEncrypt(all requests: [ReEncryptRequest]) async -> [Result<ReEncryptResult, any Error>]

    /// ``keyRotationEnabled(keyId:)`` for each id, in order (one request each on KMS).
    func keyRotationEnabled(all keyIds: [String]) async -> [Result<Bool, any Error>]
}

extension KeyService {
    /// Filters the whole listing: for key services where a listing is cheap (the embedded store).
    public func keysTagged(_ tagKey: String, values: [String]) async throws -> [TaggedKey] {
        let wanted = Set(values)
        return try await keysTagged(tagKey).filter { wanted.contains($0.value) }
    }

    public func describeKeys(_ keyIds: [String]) async -> [Result<KeyMetadata, any Error>] {
        await Self.concurrentMap(keyIds) { try await describeKey(keyId: $0) }
    }

    public func reEncrypt(all requests: [ReEncryptRequest]) async -> [Result<ReEncryptResult, any Error>] {
        await Self.concurrentMap(requests) { try await reEncrypt($0) }
    }

    public func keyRotationEnabled(all keyIds: [String]) async -> [Result<Bool, any Error>] {
        await Self.concurrentMap(keyIds) { try await keyRotationEnabled(keyId: $0) }
    }

    /// `body` over `inputs`, at most `width` at once; results in input order (see the free function).
    public static func concurrentMap<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], width: Int = 16, _ body: @escaping @Sendable (Input) async throws -> Output
    ) async -> [Result<Output, any Error>] {
        await UserVaultCore.concurrentMap(inputs, width: width, body)
    }
}

/// A key and the value of the tag asked for.
public struct TaggedKey: Sendable, Hashable {
    /// The key ARN (or bare id).
    public var keyId: String
    public var value: String

    public init(keyId: String, value: String) {
        self.keyId = keyId
        self.value = value
    }
}

/// A ReEncrypt call. With `destinationKeyId` equal to the source key it is the audit's proof
/// (IAM condition `kms:ReEncryptOnSameKey`).
public struct ReEncryptRequest: Sendable {
    public var ciphertext: Data
    public var sourceKeyId: String?
    public var sourceContext: [String: String]
    public var destinationKeyId: String
    public var destinationContext: [String: String]

    public init(ciphertext: Data, sourceKeyId: String?, sourceContext: [String: String],
                destinationKeyId: String, destinationContext: [String: String]) {
        self.ciphertext = ciphertext
        self.sourceKeyId = sourceKeyId
        self.sourceContext = sourceContext
        self.destinationKeyId = destinationKeyId
        self.destinationContext = destinationContext
    }
}

public struct ReEncryptResult: Sendable {
    /// The key ARN that had sealed the input.
    public var sourceKeyId: String
    public var destinationKeyId: String
    /// - Warning: ciphertext: never log it.
    public var ciphertext: Data

    public init(sourceKeyId: String, destinationKeyId: String, ciphertext: Data) {
        self.sourceKeyId = sourceKeyId
        self.destinationKeyId = destinationKeyId
        self.ciphertext = ciphertext
    }
}

/// A key's lifecycle state, as DescribeKey reports it.
public enum KeyState: String, Sendable, Hashable, Codable {
    case enabled = "Enabled"
    case disabled = "Disabled"
    case pendingDeletion = "PendingDeletion"
    case pendingImport = "PendingImport"
    case unavailable = "Unavailable"
    case creating = "Creating"
    case updating = "Updating"
    case pendingReplicaDeletion = "PendingReplicaDeletion"
}

/// What DescribeKey says about a key. No key material, ever.
public struct KeyMetadata: Sendable, Hashable {
    public var keyId: String
    public var arn: String
    public var state: KeyState
    /// `CUSTOMER` or `AWS`.
    public var keyManager: String
    /// e.g. `SYMMETRIC_DEFAULT`.
    public var keySpec: String
    public var creationDate: Date?
    public var description: String

    public init(keyId: String, arn: String, state: KeyState, keyManager: String = "CUSTOMER",
                keySpec: String = "SYMMETRIC_DEFAULT", creationDate: Date? = nil, description: String = "") {
        self.keyId = keyId
        self.arn = arn
        self.state = state
        self.keyManager = keyManager
        self.keySpec = keySpec
        self.creationDate = creationDate
        self.description = description
    }
}

/// `body` over `inputs`, at most `width` at once; results in input order.
///
/// `width` tasks each take the next input until none is left: no task is created per input,
/// and the caller is not woken per result (a task per input, kept `width` deep, cost two task
/// switches per KMS request of the audit).
///
/// After the first ``ServiceFailure`` (the service throttled or unreachable beyond its retries)
/// nothing more is sent: the inputs not yet started get that same failure, so a dead endpoint
/// costs one round of retries per batch, not one per input.
public func concurrentMap<Input: Sendable, Output: Sendable>(
    _ inputs: [Input], width: Int = 16, _ body: @escaping @Sendable (Input) async throws -> Output
) async -> [Result<Output, any Error>] {
    let work = ConcurrentMapWork<Output>(count: inputs.count)
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<min(max(width, 1), inputs.count) {
            group.addTask {
                while !Task.isCancelled, let index = work.take() {
                    let result: Result<Output, any Error>
                    do { result = .success(try await body(inputs[index])) } catch { result = .failure(error) }
                    work.finish(index, result)
                }
            }
        }
    }
    return work.results()
}

/// The shared state of one ``concurrentMap(_:width:_:)``: the next input to take, the results,
/// and the first service failure.
private final class ConcurrentMapWork<Output: Sendable>: Sendable {
    private struct State {
        var next = 0
        var results: [Result<Output, any Error>?]
        var serviceFailure: ServiceFailure?
    }

    private let count: Int
    private let state: Mutex<State>

    init(count: Int) {
        self.count = count
        state = Mutex(State(results: Array(repeating: nil, count: count)))
    }

    /// The next input's index; `nil` when all are taken or a service failure stopped the batch.
    func take() -> Int? {
        state.withLock { state in
            guard state.next < count, state.serviceFailure == nil else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func finish(_ index: Int, _ result: Result<Output, any Error>) {
        state.withLock { state in
            state.results[index] = result
            if case .failure(let error) = result, state.serviceFailure == nil { state.serviceFailure = ServiceFailure(error) }
        }
    }

    func results() -> [Result<Output, any Error>] {
        state.withLock { state in
            state.results.map { $0 ?? .failure(state.serviceFailure ?? CancellationError()) }
        }
    }
}
