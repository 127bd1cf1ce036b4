import Foundation
import Logging
import UserVaultCore

/// The loop of `uservault watch`: read what changed (``ChangeFeed``), prove those users again
/// (``ContinuousProof``), report what opened and resolved, commit the position with the open
/// findings (``WatchState``) — until cancelled.
///
/// Items are proven by id (email guards are skipped); a changed key proves its owner (its owner
/// tag); a key with no owner tag is not ours. A batch that cannot be proven (a service failure)
/// is neither reported nor committed: it is tried again after a backoff, so nothing is lost and
/// no line is printed twice but for the batch in flight at a kill.
public struct Watcher: Sendable {
    public struct Configuration: Sendable {
        /// How long to wait when the feed has nothing new.
        public var interval: Duration
        /// Changes read per batch, at most.
        public var batchLimit: Int
        /// Where a watch without a state begins.
        public var start: FeedStart
        /// Waits after a failed batch: `backoff(n)` after the n-th failure in a row.
        public var backoff: @Sendable (Int) -> Duration
        /// The accepted findings (the suppressions file), marked in each batch's changes; `nil`: none.
        public var acceptance: FindingAcceptance?

        public init(interval: Duration = .milliseconds(100), batchLimit: Int = 1000, start: FeedStart = .latest,
                    backoff: @escaping @Sendable (Int) -> Duration = { .milliseconds(min(30_000, 500 << min($0, 6))) },
                    acceptance: FindingAcceptance? = nil) {
            self.interval = interval
            self.batchLimit = batchLimit
            self.start = start
            self.backoff = backoff
            self.acceptance = acceptance
        }
    }

    /// One batch, proven: what the watch reports before it commits.
    public struct Round: Sendable {
        public var changes: Int
        /// Users proven (existing or gone).
        public var proven: [ContinuousProof.Proven]
        public var findings: FindingChanges
        public var position: FeedPosition
        /// When the oldest change of the batch was written.
        public var oldestWrite: Date?
    }

    public let feed: any ChangeFeed
    public let proof: ContinuousProof
    public let state: WatchState
    /// What is open: the state itself, or Security Hub when the watch publishes there.
    public let ledger: any FindingLedger
    public let configuration: Configuration

    public init(feed: any ChangeFeed, proof: ContinuousProof, state: WatchState, ledger: (any FindingLedger)? = nil,
                configuration: Configuration = .init()) {
        self.feed = feed
        self.proof = proof
        self.state = state
        self.ledger = ledger ?? state
        self.configuration = configuration
    }

    /// Watches until the task is cancelled (then returns). `report` gets each batch that changed
    /// something, before it is committed; `committed` is called after each such commit.
    ///
    /// - Throws: an error of the feed or the state that no retry can help (no stream, a state
    ///   that cannot be written); service failures are retried.
    public func run(logger: Logger, report: @escaping @Sendable (Round) async throws -> Void,
                    committed: @escaping @Sendable () async throws -> Void = {}) async throws {
        let coverage = ReproofCoverage(depth: proof.configuration.depth, keyState: proof.configuration.keyState)
        var position: FeedPosition
        if let stored = try state.position() {
            position = stored
            logger.info("watch continues from its checkpoint", metadata: ["state": "\(state.path)"])
        } else {
            position = try await feed.start(from: configuration.start)
            try state.commit(position: position, changes: FindingChanges())
            logger.info("watch starts", metadata: ["from": "\(configuration.start.rawValue)", "state": "\(state.path)"])
        }
        var failures = 0
        while !Task.isCancelled {
            do {
                let batch = try await feed.changes(after: position, limit: configuration.batchLimit)
                if batch.lost {
                    logger.warning("changes expired before they were read (the watch was away longer than the feed keeps them): run an audit to cover the gap")
                }
                guard !batch.changes.isEmpty else {
                    if batch.position != position {
                        try state.commit(position: batch.position, changes: FindingChanges())
                        position = batch.position
                    }
                    failures = 0
                    try await Task.sleep(for: configuration.interval)
                    continue
                }
                let userIds = try await users(of: batch.changes, logger: logger)
                let round = await proof.prove(userIds)
                if let failure = round.failure {
                    throw ServiceFailure(detail: failure)
                }
                let open = try await ledger.openFindings(of: userIds)
                let changes = FindingChanges(open: open, proven: round.proven, coverage: coverage, acceptance: configuration.acceptance)
                let oldest = batch.changes.compactMap(\.writtenAt).min()
                try await report(Round(changes: batch.changes.count, proven: round.proven, findings: changes,
                                       position: batch.position, oldestWrite: oldest))
                try state.commit(position: batch.position, changes: changes, counts: [
                    "changes": batch.changes.count, "reproven": round.proven.filter(\.exists).count,
                    "opened": changes.opened.count, "resolved": changes.resolved.count,
                ])
                logger.debug("batch committed", metadata: [
                    "changes": "\(batch.changes.count)", "users": "\(userIds.joined(separator: ","))",
                    "position": "\(batch.position.sequences.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
                ])
                position = batch.position
                failures = 0
                try await committed()
            } catch is CancellationError {
                return
            } catch {
                guard ServiceFailure(error) != nil else { throw error }
                failures += 1
                let delay = configuration.backoff(failures)
                logger.warning("a batch could not be proven: trying it again", metadata: [
                    "error": "\(UserService.safeDescription(error))", "attempt": "\(failures)", "retryInMs": "\(Int(delay.inSeconds * 1000))",
                ])
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
    }

    /// The users to prove for `changes`, once each, in order: the items' ids (not email guards),
    /// and each changed key's owner.
    func users(of changes: [Change], logger: Logger) async throws -> [String] {
        var ids: [String] = []
        var seen: Set<String> = []
        var keysSeen: Set<String> = []
        for change in changes {
            switch change.subject {
            case .item(let id):
                guard !id.hasPrefix(EmailGuard.idPrefix), seen.insert(id).inserted else { continue }
                ids.append(id)
            case .key(let keyId):
                guard keysSeen.insert(KeyReference.bareKeyId(keyId)).inserted else { continue }
                do {
                    guard let owner = try await proof.owner(ofKey: keyId) else {
                        logger.debug("a key without an owner tag changed: not a per-user key", metadata: ["keyId": "\(keyId)"])
                        continue
                    }
                    if seen.insert(owner).inserted { ids.append(owner) }
                } catch let error as KeyServiceError where !error.isServiceFailure {
                    logger.warning("a changed key cannot be read: its owner is unknown (the nightly audit covers its user)",
                                   metadata: ["keyId": "\(keyId)", "error": "\(error.detail)"])
                }
            }
        }
        return ids
    }
}
