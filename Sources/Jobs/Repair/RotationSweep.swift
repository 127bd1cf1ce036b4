import Foundation
import UserVaultCore

/// `rotate-keys --mode enable-rotation`: turn on automatic rotation of every user's CMK where it
/// is off. Records written by this project name their key; a legacy record's key is the one
/// tagged `CreatedBy=<id>` (one tagging listing per run). Enabling rotation is idempotent in KMS:
/// a page done twice changes nothing more.
public struct EnableRotationSweep: RepairPlanner {
    public let job = "rotate-keys"
    public var parameters: [String: String] { ["mode": "enable-rotation"] }
    let keys: any KeyService
    let ownership: KeyOwnership

    public init(keys: any KeyService) {
        self.keys = keys
        ownership = KeyOwnership(keys: keys)
    }

    static let action = "ENABLE_ROTATION"

    public func repair(_ users: [StoredItem], apply: Bool, runId: String) async throws -> [RepairAction] {
        let (targets, skipped) = try await Self.userKeys(users, ownership: ownership, action: Self.action)
        var actions = skipped
        let statuses = try ServiceFailure.check(await keys.keyRotationEnabled(all: targets.map(\.keyId)))
        for (target, status) in zip(targets, statuses) {
            switch status {
            case .success(true):
                continue  // nothing to do
            case .failure(let error):
                actions.append(try .outcome(of: error, userId: target.userId, action: Self.action, keyId: target.keyId,
                                            doing: "GetKeyRotationStatus"))
            case .success(false):
                guard apply else {
                    actions.append(.init(userId: target.userId, action: Self.action, keyId: target.keyId, outcome: .planned,
                                         detail: "automatic rotation is off: would turn it on"))
                    continue
                }
                do {
                    try await keys.enableKeyRotation(keyId: target.keyId)
                    actions.append(.init(userId: target.userId, action: Self.action, keyId: target.keyId, outcome: .done,
                                         detail: "automatic rotation turned on"))
                } catch {
                    actions.append(try .outcome(of: error, userId: target.userId, action: Self.action, keyId: target.keyId,
                                                doing: "EnableKeyRotation"))
                }
            }
        }
        return actions
    }

    /// Each user's key (``UserKeys/key(of:owners:)``): the one the record names, else the one CMK
    /// tagged `CreatedBy=<id>`; users without exactly one come back as `skipped` actions
    /// (`KEY_NOT_FOUND`, or `UNVERIFIABLE` for several), which the audit reports too.
    ///
    /// - Throws: when the `CreatedBy` listing a legacy record needs cannot be had (a
    ///   ``ServiceFailure`` is tried again with its page; any other error stops the run).
    static func userKeys(_ users: [StoredItem], ownership: KeyOwnership, action: String) async throws
        -> (targets: [(userId: String, keyId: String)], skipped: [RepairAction]) {
        var owners: UserKeys.Owners?
        if users.contains(where: { $0.credentialsKeyId == nil }) { owners = try await ownership.indexForPage() }
        var targets: [(userId: String, keyId: String)] = []
        var skipped: [RepairAction] = []
        for user in users {
            switch UserKeys.key(of: user, owners: owners) {
            case .found(let keyId):
                targets.append((user.id, keyId))
            case .notFound:
                let tag = UserKeys.ownerLabel(userId: user.id)
                skipped.append(.skipped(user.id, action, .keyNotFound, "the record names no key and no CMK is tagged \(tag)"))
            case .ambiguous(let count):
                let tag = UserKeys.ownerLabel(userId: user.id)
                skipped.append(.skipped(user.id, action, .unverifiable,
                                        "\(count) CMKs are tagged \(tag): record the right one (backfill key-metadata)"))
            }
        }
        return (targets, skipped)
    }
}

/// `rotate-keys --mode rotate-now`: on-demand rotation (KMS `RotateKeyOnDemand`) of every user's
/// CMK whose material is older than `olderThan` (its latest rotation, or its creation). Old
/// ciphertexts keep decrypting; a key just rotated is young, so a second run does nothing.
public struct RotateNowSweep: RepairPlanner {
    public let job = "rotate-keys"
    public var parameters: [String: String] { ["mode": "rotate-now", "olderThanDays": String(olderThanDays)] }
    let keys: any KeyService
    let ownership: KeyOwnership
    let olderThanDays: Int

    public init(keys: any KeyService, olderThanDays: Int) {
        self.keys = keys
        self.olderThanDays = olderThanDays
        ownership = KeyOwnership(keys: keys)
    }

    static let action = "ROTATE_NOW"

    public func repair(_ users: [StoredItem], apply: Bool, runId: String) async throws -> [RepairAction] {
        let (targets, skipped) = try await EnableRotationSweep.userKeys(users, ownership: ownership, action: Self.action)
        let cutoff = Date().addingTimeInterval(-Double(olderThanDays) * 86_400)
        let keys = self.keys
        let results = try ServiceFailure.check(await concurrentMap(targets) { target -> RepairAction? in
            guard let since = try await keys.materialDate(keyId: target.keyId), since < cutoff else { return nil }
            let age = Int(Date().timeIntervalSince(since) / 86_400)
            guard apply else {
                return .init(userId: target.userId, action: Self.action, keyId: target.keyId, outcome: .planned,
                             detail: "key material is \(age) days old: would rotate it now")
            }
            try await keys.rotateNow(keyId: target.keyId)
            return .init(userId: target.userId, action: Self.action, keyId: target.keyId, outcome: .done,
                         detail: "rotated on demand (the material was \(age) days old)")
        })
        return skipped + (try zip(targets, results).compactMap { target, result in
            switch result {
            case .success(let action): return action
            case .failure(let error):
                return try .outcome(of: error, userId: target.userId, action: Self.action, keyId: target.keyId, doing: "rotation")
            }
        })
    }
}
