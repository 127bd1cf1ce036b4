import Foundation
import UserVaultCore

/// One user's membership of a group that must have one member only: the users on one CMK, or
/// the users holding one (normalised) email.
public struct Membership: Sendable, Hashable, Codable {
    /// A bare key id, or the SHA-256 of a normalised email (emails never leave the run as text).
    public var group: String
    public var userId: String
    /// Whether the user was verified before the cross-scan checks.
    public var verified: Bool

    public init(group: String, userId: String, verified: Bool) {
        self.group = group
        self.userId = userId
        self.verified = verified
    }
}

/// What can only be found across the whole scan: CMKs shared by several users (`KEY_SHARED`),
/// emails held by several users (`DUPLICATE_EMAIL`), and per-user CMKs no user references
/// (`ORPHAN_KEY`). A single run and the merge of `--worker` runs both compute them here, from
/// the same memberships, so they agree.
public enum CrossScanChecks {
    /// The codes these checks produce (a worker's own are recomputed when its report is merged).
    public static let codes: Set<FindingCode> = [.keyShared, .duplicateEmail, .orphanKey]

    /// Shared keys and duplicate emails, and how many verified users they un-verify.
    public static func groups(keyRefs: [Membership], emails: [Membership]) -> (findings: [Finding], unverified: Int) {
        let shared = findings(keyRefs, code: .keyShared) { "the CMK is shared by \($0) users" }
        let duplicates = findings(emails, code: .duplicateEmail) { "\($0) users share this email (case-insensitive)" }
        let flagged = Set((shared + duplicates).compactMap(\.userId))
        let verifiedUsers = Set((keyRefs + emails).filter(\.verified).map(\.userId))
        return (shared + duplicates, verifiedUsers.intersection(flagged).count)
    }

    private static func findings(_ memberships: [Membership], code: FindingCode, detail: (Int) -> String) -> [Finding] {
        var groups: [String: Set<String>] = [:]
        for membership in memberships { groups[membership.group, default: []].insert(membership.userId) }
        return groups.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.flatMap { group, users in
            users.sorted().map { Finding(code, userId: $0, keyId: code == .keyShared ? group : nil, detail: detail(users.count)) }
        }
    }

    /// Per-user CMKs (tagged `CreatedBy`) that no user's credentials reference, and that are not
    /// already scheduled for deletion: one DescribeKey per candidate, a few at a time.
    ///
    /// - Returns: the findings and the key requests made.
    public static func orphans(index: UserKeys.Owners, referenced: Set<String>,
                               keys: any KeyService) async throws -> (findings: [Finding], requests: Int) {
        let candidates = index.ownerByKey.keys.filter { !referenced.contains($0) }.sorted()
        var findings: [Finding] = []
        try await withThrowingTaskGroup(of: Finding?.self) { group in
            var next = candidates.makeIterator()
            func submit() {
                guard let bare = next.next() else { return }
                let keyId = index.keyByBareId[bare] ?? bare
                let owner = index.ownerByKey[bare] ?? ""
                group.addTask {
                    let metadata: KeyMetadata
                    do {
                        metadata = try await keys.describeKey(keyId: keyId)
                    } catch let error as KeyServiceError where error == .notFound {
                        return nil
                    }
                    guard metadata.state != .pendingDeletion else { return nil }
                    return Finding(.orphanKey, userId: owner, keyId: keyId,
                                   detail: "a CMK tagged \(UserKeys.ownerLabel(userId: owner)) that no user's credentials use "
                                       + "(state \(metadata.state.rawValue))")
                }
            }
            for _ in 0..<8 { submit() }
            while let result = try await group.next() {
                if let result { findings.append(result) }
                submit()
            }
        }
        return (findings.sorted { ($0.keyId ?? "") < ($1.keyId ?? "") }, candidates.count)
    }
}
