import EmbeddedStore
import Foundation
import Testing
import TestSupport
import UserVaultCore

@Suite("Transactional writes of the embedded store")
struct TransactionTests {
    func record(email: String) -> NewUserRecord {
        NewUserRecord(id: UUID().uuidString.lowercased(),
                      attributes: UserAttributes(firstname: "A", lastname: "B", email: email, username: "ab"),
                      credentials: Data([9, 9, 9]), credentialsKeyId: "arn:aws:kms:local:000000000000:key/x")
    }

    @Test("a user and its guard are written together, and a second user with the email writes nothing")
    func guardIsTransactional() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let first = record(email: "ada@example.com")
        try await store.store.table.insertUser(first)
        #expect(try await store.store.table.item(id: EmailGuard.itemId(forEmail: "ADA@example.com"))?.type == EmailGuard.itemType)
        let second = record(email: "ada@example.com")
        await #expect(throws: UserTableError.duplicateEmail) { try await store.store.table.insertUser(second) }
        #expect(try await store.store.table.item(id: second.id) == nil)
        #expect(try await store.store.table.approximateItemCount() == 2)
    }

    @Test("a replayed id is refused")
    func idCondition() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        var first = record(email: "a@example.com")
        try await store.store.table.insertUser(first)
        first.attributes.email = "b@example.com"
        await #expect(throws: UserTableError.idExists) { try await store.store.table.insertUser(first) }
    }

    @Test("the store file is private to its owner")
    func fileMode() throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let mode = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("reopening keeps users, keys and the cursor secret")
    func reopen() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let user = try await store.service.create(NewUserInput(firstname: "A", lastname: "B", email: "a@b.io",
                                                               username: "abc", credentials: "long enough"))
        let reopened = try EmbeddedStore(path: store.path)
        #expect(reopened.cursorSecret == store.store.cursorSecret)
        #expect(try await reopened.table.user(id: user.id) == user)
        #expect(try await reopened.keys.listKeyIds().count == 1)
    }
}
