import Foundation
import Testing
import UserVaultCore

@Suite("The per-user key rules: owner tag, encryption context, plaintext detection")
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
}
