import Foundation
import Logging
import UserVaultCore

extension RekeySweep {
    static let retireAction = "RETIRE_OLD_KEY"

    static func retireRecordKey(_ bareKeyId: String) -> String { "\(bareKeyId)|\(retireAction)" }

    /// After a complete sweep: each key this run moved a user off (the `RekeyOf` tag of a key
    /// tagged `RekeyRun=<runId>:…` that a record now names) is scheduled for deletion, once no
    /// record of the table names it any more — by `credentialsKeyId`, or as a legacy record's key
    /// (a record with no `credentialsKeyId` uses the key tagged `CreatedBy=<its id>`). A key still
    /// named (a user sharing it was skipped or failed) is kept and reported `skipped`. One scan of the table's key references (ids and key ids, never a
    /// credential) and one listing of the `CreatedBy` tag, then the decisions, committed in
    /// chunks: a resumed run does not decide a key twice.
    ///
    /// A dry run decides nothing here: its `REKEY` actions say what would happen.
    public func finish(table: any UserTable, state: RunState, apply: Bool, runId: String, logger: Logger) async throws -> Bool {
        guard apply else { return true }
        let made: [MadeKey]
        let references: KeyReferences
        do {
            made = try await keysMade(in: runId)
            guard !made.isEmpty else { return true }
            references = try await KeyReferences.read(table: table, keys: keys)
        } catch {
            if let failure = ServiceFailure(error) { throw failure }
            throw error
        }
        // A key a user moved off: the old key of a new key that a record now names (a new key
        // whose write lost, or whose move failed, was discarded: its user is still on the old key).
        var moves: [String: String] = [:]
        for key in made where !(references.named[key.newKey] ?? []).isEmpty && moves[key.oldKey] == nil {
            moves[key.oldKey] = key.userId
        }
        let movedOff = moves
        // The retirements decided before a kill, streamed: the run's REKEY records (one a user) are not held.
        var decided: Set<String> = []
        try state.forEachRecord(kind: RepairJob.kind) { record in
            if record.key.hasSuffix("|" + Self.retireAction) { decided.insert(record.key) }
        }
        let candidates = movedOff.keys.filter { !decided.contains(Self.retireRecordKey($0)) }.sorted()
        logger.debug("old keys to retire", metadata: ["candidates": "\(candidates.count)", "decidedEarlier": "\(movedOff.count - candidates.count)"])
        let (keys, days) = (self.keys, pendingDays)
        for start in stride(from: 0, to: candidates.count, by: 50) {
            if Task.isCancelled { return false }
            let chunk = Array(candidates[start..<min(start + 50, candidates.count)])
            let results = try ServiceFailure.check(await concurrentMap(chunk, width: 8) { old in
                try await Self.retire(old, movedOffBy: movedOff[old] ?? "", references: references, keys: keys, pendingDays: days)
            })
            var page = RunState.PageRecords()
            for (old, result) in zip(chunk, results) {
                let action: RepairAction
                switch result {
                case .success(let decided): action = decided
                case .failure(let error):
                    action = try RepairAction.outcome(of: error, userId: movedOff[old] ?? "", action: Self.retireAction, keyId: old,
                                                      doing: "scheduling the old key's deletion")
                }
                page.add(kind: RepairJob.kind, key: Self.retireRecordKey(old), value: try JSONEncoder.sorted.encode(action))
            }
            try await state.commit(page)
        }
        return !Task.isCancelled
    }

    /// A key this run made: its bare id, the bare id of the key it replaces (`RekeyOf`) and the
    /// user it was made for (`RekeyRun=<runId>:<user>`).
    struct MadeKey: Sendable {
        var newKey: String
        var oldKey: String
        var userId: String
    }

    /// The keys made in `runId` that name the key they replace, in user order.
    func keysMade(in runId: String) async throws -> [MadeKey] {
        let prefix = runId + ":"
        let made = try await keys.keysTagged(Self.runTag).filter { $0.value.hasPrefix(prefix) }
        guard !made.isEmpty else { return [] }
        var replaced: [String: String] = [:]
        for tagged in try await keys.keysTagged(Self.previousKeyTag) {
            replaced[KeyReference.bareKeyId(tagged.keyId)] = KeyReference.bareKeyId(tagged.value)
        }
        return made.sorted { $0.value < $1.value }.compactMap { key in
            let newKey = KeyReference.bareKeyId(key.keyId)
            return replaced[newKey].map { MadeKey(newKey: newKey, oldKey: $0, userId: String(key.value.dropFirst(prefix.count))) }
        }
    }

    /// One old key: kept while a record names it, else scheduled for deletion (already pending
    /// or gone: nothing to do).
    static func retire(_ keyId: String, movedOffBy userId: String, references: KeyReferences, keys: any KeyService,
                       pendingDays: Int) async throws -> RepairAction {
        func action(_ outcome: RepairAction.Outcome, _ detail: String) -> RepairAction {
            RepairAction(userId: userId, action: retireAction, keyId: keyId, outcome: outcome, detail: detail)
        }
        let users = references.users(naming: keyId)
        if !users.isEmpty {
            var kept = action(.skipped, "kept: \(users.count) record\(users.count == 1 ? " names" : "s name") it after the sweep ("
                + users.prefix(3).joined(separator: ", ") + (users.count > 3 ? ", ..." : "") + ")")
            kept.code = FindingCode.keyShared.rawValue
            return kept
        }
        do {
            return try await keys.scheduleDeletionUnlessPending(keyId: keyId, pendingDays: pendingDays)
                ? action(.done, "no record names it after the sweep: scheduled for deletion in \(pendingDays) days")
                : action(.done, "no record names it after the sweep; already pending deletion")
        } catch let error as KeyServiceError where error == .notFound {
            return action(.done, "no record names it after the sweep; gone already")
        }
    }
}

/// Which records name which keys, from one scan of the table (key-references projection: id,
/// type, `credentialsKeyId`) and one listing of the `CreatedBy` tag for legacy records.
struct KeyReferences: Sendable {
    /// Bare key id → the records whose `credentialsKeyId` names it.
    var named: [String: [String]] = [:]
    /// Bare key id → its `CreatedBy` owner, when that owner is a legacy record (no
    /// `credentialsKeyId`: the record uses the key tagged for it).
    var legacyOwner: [String: String] = [:]

    func users(naming keyId: String) -> [String] {
        let bare = KeyReference.bareKeyId(keyId)
        return ((named[bare] ?? []) + (legacyOwner[bare].map { [$0] } ?? [])).sorted()
    }

    static func read(table: any UserTable, keys: any KeyService) async throws -> KeyReferences {
        var references = KeyReferences()
        var legacy: Set<String> = []
        do {
            try await KeyRetirement.forEachKeyReference(in: table) { item in
                if let named = item.credentialsKeyId {
                    references.named[KeyReference.bareKeyId(named), default: []].append(item.id)
                } else {
                    legacy.insert(item.id)
                }
            }
            if !legacy.isEmpty {
                for tagged in try await keys.keysTagged(UserKeys.ownerTag) where legacy.contains(tagged.value) {
                    references.legacyOwner[KeyReference.bareKeyId(tagged.keyId)] = tagged.value
                }
            }
        } catch {
            if let failure = ServiceFailure(error) { throw failure }
            throw error
        }
        return references
    }
}
