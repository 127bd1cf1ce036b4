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

    public func repair(_ users: [StoredItem], apply: Bool, runId: String) async -> [RepairAction] {
        var actions: [RepairAction] = []
        var targets: [(userId: String, keyId: String)] = []
        for user in users {
            if let keyId = user.credentialsKeyId {
                targets.append((user.id, keyId))
                continue
            }
            do {
                let owned = try await ownership.index().keysByOwner[user.id] ?? []
                guard owned.count == 1, let keyId = owned.first else {
                    actions.append(.init(userId: user.id, action: Self.action, outcome: .failed, detail: owned.isEmpty
                        ? "the record names no key and no CMK is tagged CreatedBy=\(user.id)"
                        : "\(owned.count) CMKs are tagged CreatedBy=\(user.id): record the right one (backfill key-metadata)"))
                    continue
                }
                targets.append((user.id, keyId))
            } catch {
                actions.append(.init(userId: user.id, action: Self.action, outcome: .failed,
                                     detail: "could not list the CMKs by their CreatedBy tag: \(UserService.safeDescription(error))"))
            }
        }
        let statuses = await keys.keyRotationEnabled(all: targets.map(\.keyId))
        for (target, status) in zip(targets, statuses) {
            switch status {
            case .success(true):
                continue  // nothing to do
            case .failure(let error):
                actions.append(.init(userId: target.userId, action: Self.action, keyId: target.keyId, outcome: .failed,
                                     detail: "GetKeyRotationStatus failed: \(UserService.safeDescription(error))"))
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
                    actions.append(.init(userId: target.userId, action: Self.action, keyId: target.keyId, outcome: .failed,
                                         detail: "EnableKeyRotation failed: \(UserService.safeDescription(error))"))
                }
            }
        }
        return actions
    }
}
