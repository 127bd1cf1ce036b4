import Foundation
import UserVaultCore

/// The keys a repair run created before it was killed, found again by their tag when the run is
/// resumed: a page done again reuses them instead of creating more (a leaked CMK costs money and
/// is an `ORPHAN_KEY` finding).
///
/// Keys are tagged `<tag>=<runId>:<userId>`; one listing of the tag per process (on AWS the
/// Resource Groups Tagging API, no KMS request). Keys this process creates are not in it, and
/// need not be: they are only ever looked for after a kill.
actor RunKeys {
    /// The keys of one run, both ways round.
    struct Made: Sendable {
        /// Bare key id → user id.
        var owners: [String: String] = [:]
        /// User id → bare key ids.
        var byUser: [String: [String]] = [:]
    }

    let keys: any KeyService
    let tag: String
    private var loaded: (runId: String, task: Task<Made, any Error>)?

    init(keys: any KeyService, tag: String) {
        self.keys = keys
        self.tag = tag
    }

    /// The tag value for a key made for `userId` in `runId`.
    nonisolated static func value(runId: String, userId: String) -> String { "\(runId):\(userId)" }

    /// The keys made in `runId` before this process started.
    func made(in runId: String) async throws -> Made {
        if let loaded, loaded.runId == runId { return try await loaded.task.value }
        let prefix = runId + ":"
        let task = Task { [keys, tag] in
            try await keys.keysTagged(tag).reduce(into: Made()) { made, tagged in
                guard tagged.value.hasPrefix(prefix) else { return }
                let (keyId, userId) = (KeyReference.bareKeyId(tagged.keyId), String(tagged.value.dropFirst(prefix.count)))
                made.owners[keyId] = userId
                made.byUser[userId, default: []].append(keyId)
            }
        }
        loaded = (runId, task)
        return try await task.value
    }

    /// A key made for `userId` in `runId` that can still be used (enabled), if there is one.
    func reusable(for userId: String, in runId: String) async throws -> KeyMetadata? {
        for keyId in try await made(in: runId).byUser[userId] ?? [] {
            let key = try await keys.describeKey(keyId: keyId)
            if key.state == .enabled { return key }
        }
        return nil
    }
}
