import Foundation
import Testing
import TestSupport
import UserVaultCore

@Suite("The per-user key rules: owner tag, encryption context, plaintext detection, which key is a user's")
struct UserKeysTests {
    @Test("a user's key is tagged CreatedBy=<id>; a repair's own tags are added, never over the owner")
    func ownerTags() {
        #expect(UserKeys.ownerTag == "CreatedBy")
        #expect(UserKeys.ownerTags(userId: "u-1") == ["CreatedBy": "u-1"])
        #expect(UserKeys.ownerTags(userId: "u-1", with: ["RekeyRun": "run:u-1", "CreatedBy": "u-2"])
            == ["CreatedBy": "u-1", "RekeyRun": "run:u-1"])
        #expect(UserKeys.ownerLabel(userId: "u-1") == "CreatedBy=u-1")
        #expect(UserKeys.keyDescription(userId: "u-1") == "UserVault credentials key for user u-1")
        #expect(UserKeys.keyDescription(userId: "u-1", purpose: "rekey") == "UserVault credentials key for user u-1 (rekey)")
    }

    @Test("the context binds a ciphertext to its user; a legacy record's ciphertext has none")
    func contexts() {
        #expect(UserKeys.encryptionContext(userId: "u-1") == ["userId": "u-1"])
        let recorded = StoredItem(id: "u-1", type: userItemType, credentialsKeyId: "k-1")
        let legacy = StoredItem(id: "u-1", type: userItemType)
        #expect(UserKeys.encryptionContext(of: recorded) == ["userId": "u-1"])
        #expect(UserKeys.encryptionContext(of: legacy) == [:])
    }

    @Test("plaintext is short printable ASCII; anything else is taken for ciphertext", arguments: [
        ("empty", Data(), false),
        ("binary", Data([0x00, 0x9C, 0xFF, 0x10, 0x7F]), false),
        ("printable bytes", Data("hunter2 ~ P@ss!".utf8), true),
        ("one space", Data(" ".utf8), true),
        ("a KMS-looking blob: its header bytes, then printable ones", Data([0x01, 0x02, 0x02, 0x00, 0x78]) + Data("AAAA".utf8), false),
        ("UTF-8 text beyond ASCII", Data("pässwörd".utf8), false),
        ("a tab", Data("pass\tword".utf8), false),
        ("DEL", Data("password\u{7F}".utf8), false),
        ("1024 printable bytes", Data(repeating: UInt8(ascii: "a"), count: 1024), true),
        ("1025 printable bytes", Data(repeating: UInt8(ascii: "a"), count: 1025), false),
    ])
    func plaintext(_ name: String, _ data: Data, _ expected: Bool) {
        #expect(UserKeys.looksLikePlaintext(data) == expected, "\(name)")
    }

    @Test("the owners index finds a key by ARN or bare id, and a user's keys as listed")
    func owners() {
        let arn = "arn:aws:kms:us-east-1:123456789012:key/"
        let owners = UserKeys.Owners([
            TaggedKey(keyId: arn + "k-1", value: "u-1"), TaggedKey(keyId: arn + "k-2", value: "u-2"),
            TaggedKey(keyId: "k-3", value: "u-2"),
        ])
        #expect(owners.owner(ofKey: arn + "k-1") == "u-1")
        #expect(owners.owner(ofKey: "k-1") == "u-1")
        #expect(owners.owner(ofKey: "arn:aws:kms:eu-west-1:210987654321:key/k-3") == "u-2")
        #expect(owners.owner(ofKey: "k-9") == nil)
        #expect(owners.keys(taggedFor: "u-1") == [arn + "k-1"])
        #expect(owners.keys(taggedFor: "u-2") == [arn + "k-2", "k-3"])
        #expect(owners.keys(taggedFor: "u-9").isEmpty)
        #expect(owners.keyByBareId["k-2"] == arn + "k-2")
    }

    @Test("a user's key: the recorded one, else the one tagged for the user; none or several name no key")
    func lookup() {
        let owners = UserKeys.Owners([
            TaggedKey(keyId: "k-1", value: "u-1"), TaggedKey(keyId: "k-2", value: "u-2"), TaggedKey(keyId: "k-3", value: "u-2"),
        ])
        func item(_ id: String, recorded: String? = nil) -> StoredItem {
            StoredItem(id: id, type: userItemType, credentialsKeyId: recorded)
        }
        #expect(UserKeys.key(of: item("u-1"), owners: owners) == .found("k-1"))
        #expect(UserKeys.key(of: item("u-2"), owners: owners) == .ambiguous(count: 2))
        #expect(UserKeys.key(of: item("u-9"), owners: owners) == .notFound)
        #expect(UserKeys.key(of: item("u-9"), owners: nil) == .notFound)
        // The record's own key wins, even over a tag naming another key, and needs no listing.
        #expect(UserKeys.key(of: item("u-2", recorded: "k-7"), owners: owners) == .found("k-7"))
        #expect(UserKeys.key(of: item("u-2", recorded: "k-7"), owners: nil) == .found("k-7"))
        #expect(UserKeys.Lookup(recorded: "k-7", tagged: Self.unexpectedListing()) == .found("k-7"))
        #expect(UserKeys.Lookup(recorded: nil, tagged: ["k-1"]) == .found("k-1"))
    }

    /// Records an issue when evaluated: a recorded key needs no tagged keys.
    static func unexpectedListing() -> [String] {
        Issue.record("the tagged keys were asked for although the record names its key")
        return []
    }

    @Test("a user made by the create path follows the rules: its key is found by its owner tag, its ciphertext opens with its context")
    func createPathFollowsTheRules() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let user = try await store.service.create(NewUserInput(
            firstname: "Ada", lastname: "Lovelace", email: "ada@example.com", username: "ada", credentials: "correct horse"))
        let item = try #require(try await store.store.table.item(id: user.id))
        let recorded = try #require(item.credentialsKeyId)
        guard case .binary(let ciphertext)? = item.credentials else {
            Issue.record("credentials must be binary ciphertext")
            return
        }
        #expect(!UserKeys.looksLikePlaintext(ciphertext))
        let keys = store.store.keys
        let owners = UserKeys.Owners(try await keys.keysTagged(UserKeys.ownerTag))
        #expect(owners.owner(ofKey: recorded) == user.id)
        // Were the record legacy (no key named), the tag alone would name the same key.
        var legacy = item
        legacy.credentialsKeyId = nil
        guard case .found(let tagged) = UserKeys.key(of: legacy, owners: owners) else {
            Issue.record("the created key must be the one tagged for its user")
            return
        }
        #expect(KeyReference.sameKey(tagged, recorded))
        let opened = try await keys.unsafeDecryptForTesting(ciphertext, context: UserKeys.encryptionContext(of: item))
        #expect(opened == Data("correct horse".utf8))
    }
}
