import Foundation
import Testing
import TestSupport
import UserVaultCore

@Suite("The create/list/get core over a real SQLite store")
struct UserServiceTests {
    static func input(_ index: Int, email: String? = nil) -> NewUserInput {
        NewUserInput(firstname: "First\(index)", lastname: "Last", email: email ?? "user\(index)@example.com",
                     username: "user\(index)", credentials: "password-\(index)-secret")
    }

    @Test("create seals the password under a fresh per-user CMK bound to the user id")
    func createSeals() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let user = try await store.service.create(Self.input(1))
        let item = try #require(try await store.store.table.item(id: user.id))
        guard case .binary(let ciphertext)? = item.credentials else {
            Issue.record("credentials must be binary ciphertext")
            return
        }
        #expect(!ciphertext.contains(Data("password-1-secret".utf8)))
        let keyId = try #require(item.credentialsKeyId)
        let keys = store.store.keys
        #expect(try await keys.tags(keyId: keyId) == ["CreatedBy": user.id])
        #expect(try await keys.keyRotationEnabled(keyId: keyId))
        #expect(try await keys.describeKey(keyId: keyId).state == .enabled)
        let plaintext = try await keys.unsafeDecryptForTesting(ciphertext, context: ["userId": user.id])
        #expect(String(decoding: plaintext, as: UTF8.self) == "password-1-secret")
        await #expect(throws: KeyServiceError.invalidCiphertext) {
            _ = try await keys.unsafeDecryptForTesting(ciphertext, context: [:])
        }
        #expect(item.createdAt != nil)
        #expect(try await store.service.get(id: user.id) == user)
    }

    @Test("concurrent creates with one email in mixed case yield exactly one user, and no key leaks")
    func createRace() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let service = store.service
        let spellings = ["Race@Example.com", "race@example.com", "RACE@EXAMPLE.COM", "rAcE@eXaMpLe.CoM"]
        let outcomes = await withTaskGroup(of: Result<UserSummary, any Error>.self) { group in
            for index in 0..<12 {
                group.addTask {
                    do { return .success(try await service.create(Self.input(index, email: spellings[index % 4]))) }
                    catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let winners = outcomes.compactMap { try? $0.get() }
        #expect(winners.count == 1)
        for case .failure(let error) in outcomes {
            #expect(error as? UserTableError == .duplicateEmail)
        }
        let winner = try #require(winners.first)
        let winnerKey = try #require(try await store.store.table.item(id: winner.id)?.credentialsKeyId)
        for keyId in try await store.store.keys.listKeyIds() {
            let state = try await store.store.keys.describeKey(keyId: keyId).state
            #expect(state == (winnerKey.hasSuffix(keyId) ? .enabled : .pendingDeletion))
        }
        let found = try await service.list(ListQuery(email: "RACE@example.COM")).users
        #expect(found.map(\.id) == [winner.id])
    }

    @Test("invalid input creates no key")
    func invalidCreatesNothing() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        await #expect(throws: ValidationFailure.self) {
            _ = try await store.service.create(Self.input(1, email: "not-an-email"))
        }
        #expect(try await store.store.keys.listKeyIds().isEmpty)
    }

    @Test("list pages are complete, disjoint, and skip guard items", arguments: [1, 7, 50])
    func listPages(pageSize: Int) async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        var created: Set<String> = []
        for index in 0..<23 { created.insert(try await store.service.create(Self.input(index)).id) }
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.service.list(ListQuery(pageSize: pageSize, after: cursor))
            #expect(page.users.count <= pageSize)
            seen += page.users.map(\.id)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 100
        #expect(seen.count == created.count)
        #expect(Set(seen) == created)
    }

    @Test("a cursor is refused when tampered with or used with another filter")
    func cursorChecks() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        for index in 0..<3 { _ = try await store.service.create(Self.input(index)) }
        let next = try #require(try await store.service.list(ListQuery(pageSize: 1)).nextCursor)
        await #expect(throws: ListError.invalidCursor) {
            _ = try await store.service.list(ListQuery(pageSize: 1, after: next + "x"))
        }
        await #expect(throws: ListError.invalidCursor) {
            _ = try await store.service.list(ListQuery(pageSize: 1, after: next, email: "user1@example.com"))
        }
        await #expect(throws: ListError.invalidPageSize(max: 100)) {
            _ = try await store.service.list(ListQuery(pageSize: 101))
        }
    }
}
