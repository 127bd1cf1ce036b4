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
    let keys: any KeyService
    let tag: String
    /// The keys of one run, indexed by the user each was made for (as ``UserKeys/Owners`` indexes
    /// keys by their `CreatedBy` owner).
    private var loaded: (runId: String, task: Task<UserKeys.Owners, any Error>)?

    init(keys: any KeyService, tag: String) {
        self.keys = keys
        self.tag = tag
    }

    /// The tag value for a key made for `userId` in `runId`.
    nonisolated static func value(runId: String, userId: String) -> String { "\(runId):\(userId)" }

    /// The keys made in `runId` before this process started, by the user each was made for.
    func made(in runId: String) async throws -> UserKeys.Owners {
        if let loaded, loaded.runId == runId { return try await loaded.task.value }
        let prefix = runId + ":"
        let task = Task { [keys, tag] in
            UserKeys.Owners(try await keys.keysTagged(tag).compactMap { tagged in
                tagged.value.hasPrefix(prefix) ? TaggedKey(keyId: tagged.keyId, value: String(tagged.value.dropFirst(prefix.count))) : nil
            })
        }
        loaded = (runId, task)
        return try await task.value
    }

    /// A key made for `userId` in `runId` that can still be used (enabled), if there is one.
    func reusable(for userId: String, in runId: String) async throws -> KeyMetadata? {
        for keyId in try await made(in: runId).keys(taggedFor: userId) {
            let key = try await keys.describeKey(keyId: keyId)
            if key.state == .enabled { return key }
        }
        return nil
    }
}

extension KeyService {
    /// Schedules a key a repair made but could not use for deletion (7 days: KMS's minimum), in
    /// a task of its own so that it happens even when the run is being cancelled; returns what
    /// happened, to end the action's detail with.
    func discardUnusedKey(_ keyId: String) async -> String {
        let scheduled = (try? await Task { try await scheduleKeyDeletion(keyId: keyId, pendingWindowDays: 7) }.value) != nil
        return scheduled ? "; the new key is scheduled for deletion" : "; the new key could not be scheduled for deletion"
    }
}
