import Foundation
import UserVaultCore

/// Proves some users again, now: what the stream handler, the key-event handler and
/// `uservault watch` do for each user written or each key changed.
///
/// Each user is read again with a consistent read (``UserTable/item(id:)``) — never from an
/// event's image, since events come reordered and twice — and judged by the nightly audit's own
/// verdicts (``AuditJob/verdicts(of:verifier:)``, the ``CredentialVerifier``), with the owner
/// tags of these users' keys alone (``KeyOwnership/scoped(for:keys:depth:)``).
///
/// ```swift
/// let proof = ContinuousProof(table: table, keys: keys, configuration: .init(keyState: .describe))
/// let round = await proof.prove(["0d7b…", "51c2…"])
/// if let failed = round.failedAt { ... }   // ids from there on were not proven: try them again
/// ```
///
/// A finding is a verdict, not a failure. A failure is a service that could not answer
/// (throttled, unavailable: ``ServiceFailure``) or an error that says nothing about the user: it
/// stops the round at the first user it hit, in order, and the users before it keep their verdicts.
public struct ContinuousProof: Sendable {
    public struct Configuration: Sendable {
        /// The audit's depth: deep adds rotation, the owner tag and the key spec of each user's key.
        public var depth: AuditDepth
        /// Where key states come from; a key event always asks DescribeKey (``KeyStateSource/describe``).
        public var keyState: KeyStateSource
        /// Users proven together (one read of keys, one batch of KMS requests).
        public var batchSize: Int

        public init(depth: AuditDepth = .standard, keyState: KeyStateSource = .describe, batchSize: Int = 100) {
            self.depth = depth
            self.keyState = keyState
            self.batchSize = max(1, batchSize)
        }
    }

    /// One user's outcome.
    public struct Proven: Sendable, Hashable {
        public var userId: String
        /// `false`: the item is gone (removed since), or is not a user: every finding of that id is over.
        public var exists: Bool
        /// The user's per-user findings now (none: proven).
        public var findings: [Finding]

        public init(userId: String, exists: Bool, findings: [Finding]) {
            self.userId = userId
            self.exists = exists
            self.findings = findings
        }
    }

    /// What one round proved, and where it stopped.
    public struct Round: Sendable {
        /// The users proven, in the order given (all of them when ``failedAt`` is `nil`).
        public var proven: [Proven] = []
        /// The index of the first user that could not be proven; `nil` when all were.
        public var failedAt: Int?
        /// Why (one line, safe to log).
        public var failure: String?
        /// KMS requests the verdicts made.
        public var keyRequests = 0

        public init() {}
    }

    public let table: any UserTable
    public let keys: any KeyService
    public let configuration: Configuration

    public init(table: any UserTable, keys: any KeyService, configuration: Configuration = .init()) {
        self.table = table
        self.keys = keys
        self.configuration = configuration
    }

    /// Proves `userIds` (distinct, in order), batch by batch, until the first failure.
    public func prove(_ userIds: [String]) async -> Round {
        var round = Round()
        var start = 0
        while start < userIds.count {
            let end = min(userIds.count, start + configuration.batchSize)
            let batch = Array(userIds[start..<end])
            let outcome = await proveBatch(batch)
            round.proven += outcome.proven
            round.keyRequests += outcome.keyRequests
            if let failed = outcome.failedAt {
                round.failedAt = start + failed
                round.failure = outcome.failure
                return round
            }
            start = end
        }
        return round
    }

    /// One batch: every item read, then judged together; after a failure of the whole batch,
    /// judged one by one in order, to find the first user it was about.
    private func proveBatch(_ userIds: [String]) async -> Round {
        var round = Round()
        let reads = await concurrentMap(userIds, width: 16) { [table] id in try await table.item(id: id) }
        // Items up to the first read that failed.
        var items: [StoredItem?] = []
        for (index, read) in reads.enumerated() {
            switch read {
            case .success(let item): items.append(item.flatMap { $0.isUser ? $0 : nil })
            case .failure(let error):
                round.failedAt = index
                round.failure = "reading item \(userIds[index]) failed: \(UserService.safeDescription(error))"
            }
            if round.failedAt != nil { break }
        }
        let readable = Array(userIds.prefix(items.count))
        do {
            (round.proven, round.keyRequests) = try await judge(readable, items)
        } catch {
            // Which user? One by one, in order: the verdicts before the first failure stand.
            round.proven = []
            for (id, item) in zip(readable, items) {
                do {
                    let (proven, requests) = try await judge([id], [item])
                    round.proven += proven
                    round.keyRequests += requests
                } catch {
                    round.failedAt = round.proven.count
                    round.failure = UserService.safeDescription(error)
                    break
                }
            }
        }
        return round
    }

    /// The verdicts of `items` (nil: gone or not a user), as the audit judges a page.
    private func judge(_ ids: [String], _ items: [StoredItem?]) async throws -> (proven: [Proven], keyRequests: Int) {
        let users = items.compactMap { $0 }
        var verdicts: [String: CredentialVerifier.Verdict] = [:]
        if !users.isEmpty {
            let ownership = try await KeyOwnership.scoped(for: users, keys: keys, depth: configuration.depth)
            let verifier = CredentialVerifier(keys: keys, depth: configuration.depth, ownership: ownership,
                                              keyState: configuration.keyState)
            for (user, verdict) in zip(users, try await AuditJob.verdicts(of: users, verifier: verifier)) {
                verdicts[user.id] = verdict
            }
        }
        let proven = zip(ids, items).map { id, item in
            Proven(userId: id, exists: item != nil, findings: verdicts[id]?.findings ?? [])
        }
        return (proven, verdicts.values.reduce(0) { $0 + $1.keyRequests })
    }
}

extension ContinuousProof {
    /// The user a key belongs to, from its owner tag (``UserKeys/owner(fromTags:)``); `nil` when
    /// the key carries none: it is not a per-user key of this service.
    ///
    /// - Throws: ``KeyServiceError`` `notFound` when the key is gone (deleted: its tags with it);
    ///   a ``ServiceFailure`` when KMS could not answer.
    public func owner(ofKey keyId: String) async throws -> String? {
        do {
            return UserKeys.owner(fromTags: try await keys.tags(keyId: keyId))
        } catch {
            throw ServiceFailure(error) ?? error
        }
    }
}
