import Crypto
import Foundation
import UserVaultCore

/// One user's part in the cross-scan checks, as committed with its page.
struct MemberEntry: Sendable, Hashable {
    var userId: String
    /// The bare id of the key the credentials are (proven or claimed to be) under; "" when none.
    var keyGroup: String
    /// ``Membership/emailGroup(_:)`` of the email; "" when none.
    var emailGroup: String
    /// The bare id of the key the record names (`credentialsKeyId`); "" when none.
    var namedKey: String
    var verified: Bool
}

/// A page's ``MemberEntry``s as one compact run-state record (one insert per page rather than
/// several per user: the audit of a million users commits a thousand of these, not millions of rows).
enum MemberPages {
    static let kind = "members"

    static func encode(_ entries: [MemberEntry]) -> Data {
        // Bytes in an array, one Data at the end: appending to Data byte by byte costs a call each.
        var data: [UInt8] = []
        data.reserveCapacity(entries.count * 140)
        func put(_ text: String) {
            let count = min(text.utf8.count, Int(UInt16.max))
            data.append(UInt8(count >> 8))
            data.append(UInt8(count & 0xFF))
            data.append(contentsOf: text.utf8.prefix(count))
        }
        for entry in entries {
            put(entry.userId)
            put(entry.keyGroup)
            put(entry.emailGroup)
            put(entry.namedKey)
            data.append(entry.verified ? 1 : 0)
        }
        return Data(data)
    }

    static func decode(_ data: Data, _ body: (MemberEntry) throws -> Void) rethrows {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            func take() -> String? {
                guard offset + 2 <= raw.count else { return nil }
                let length = Int(raw[offset]) << 8 | Int(raw[offset + 1])
                offset += 2
                guard offset + length <= raw.count else { return nil }
                defer { offset += length }
                return String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]), as: UTF8.self)
            }
            while offset < raw.count {
                guard let user = take(), let key = take(), let email = take(), let named = take(), offset < raw.count else { return }
                let verified = raw[offset] == 1
                offset += 1
                try body(MemberEntry(userId: user, keyGroup: key, emailGroup: email, namedKey: named, verified: verified))
            }
        }
    }

    /// Every committed entry, streamed page by page.
    static func forEach(in state: RunState, _ body: (MemberEntry) throws -> Void) throws {
        try state.forEachRecord(kind: kind) { record in try decode(record.value, body) }
    }

    /// What the cross-scan checks need, in two streaming passes so that memory holds 16 bytes a
    /// user rather than every membership: first the hashes of every key and email group, to find
    /// the groups with several users; then the memberships of just those groups.
    static func crossScanInput(_ state: RunState, referencedKeys: Bool)
        throws -> (keyRefs: [Membership], emails: [Membership], referenced: Set<String>) {
        var keyHashes: [Int] = [], emailHashes: [Int] = []
        var referenced: Set<String> = []
        try forEach(in: state) { entry in
            if !entry.keyGroup.isEmpty { keyHashes.append(entry.keyGroup.hashValue) }
            if !entry.emailGroup.isEmpty { emailHashes.append(entry.emailGroup.hashValue) }
            if referencedKeys {
                if !entry.keyGroup.isEmpty { referenced.insert(entry.keyGroup) }
                if !entry.namedKey.isEmpty { referenced.insert(entry.namedKey) }
            }
        }
        let sharedKeys = repeated(&keyHashes), sharedEmails = repeated(&emailHashes)
        var keyRefs: [Membership] = [], emails: [Membership] = []
        if !sharedKeys.isEmpty || !sharedEmails.isEmpty {
            try forEach(in: state) { entry in
                if !entry.keyGroup.isEmpty, sharedKeys.contains(entry.keyGroup.hashValue) {
                    keyRefs.append(Membership(group: entry.keyGroup, userId: entry.userId, verified: entry.verified))
                }
                if !entry.emailGroup.isEmpty, sharedEmails.contains(entry.emailGroup.hashValue) {
                    emails.append(Membership(group: entry.emailGroup, userId: entry.userId, verified: entry.verified))
                }
            }
        }
        return (keyRefs, emails, referenced)
    }

    /// The values that occur more than once.
    private static func repeated(_ values: inout [Int]) -> Set<Int> {
        values.sort()
        var found: Set<Int> = []
        for position in values.indices.dropFirst() where values[position] == values[position - 1] {
            found.insert(values[position])
        }
        return found
    }
}

extension Membership {
    /// The group of an email: the first 128 bits of the SHA-256 of its normalised form, in hex
    /// (emails never leave the run as text).
    public static func emailGroup(_ email: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(EmailGuard.normalize(email).utf8)).prefix(16))
    }
}
