import AWSBackend
import AWSClients
import Foundation
import Testing
import TestSupport
import UserVaultCore

@Suite("The AWS backend against moto")
struct DynamoDBUserTableTests {
    static func input(_ index: Int, email: String? = nil) -> NewUserInput {
        NewUserInput(firstname: "First\(index)", lastname: "Last", email: email ?? "user\(index)@example.com",
                     username: "user\(index)", credentials: "moto-password-\(index)")
    }

    @Test("init creates the table and its EmailIndex once")
    func ensureTable() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                #expect(try await backend.table.ensureTable())
                #expect(try await !backend.table.ensureTable(), "idempotent")
                let description = try #require(try await backend.dynamo.describeTable("users"))
                #expect(description.GlobalSecondaryIndexes?.map(\.IndexName) == ["EmailIndex"])
            }
        }
    }

    @Test("create seals under a per-user CMK with the user's context; get, list and filter read it back")
    func createListGet() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                _ = try await backend.table.ensureTable()
                var ids: Set<String> = []
                for index in 0..<7 { ids.insert(try await backend.service.create(Self.input(index)).id) }
                let one = try #require(ids.first)
                let item = try #require(try await backend.table.item(id: one))
                guard case .binary(let blob)? = item.credentials else {
                    Issue.record("credentials must be binary")
                    return
                }
                let keyId = try #require(item.credentialsKeyId)
                #expect(keyId.hasPrefix("arn:aws:kms:"))
                #expect(try await backend.kms.listResourceTags(keyId: keyId) == ["CreatedBy": one])
                #expect(try await backend.kms.getKeyRotationStatus(keyId: keyId))
                let plaintext = try await backend.kms.decrypt(ciphertext: blob, context: ["userId": one])
                #expect(String(decoding: plaintext, as: UTF8.self).hasPrefix("moto-password-"))
                await #expect(throws: AWSError.self) { _ = try await backend.kms.decrypt(ciphertext: blob, context: nil) }

                #expect(try await backend.service.get(id: one)?.id == one)
                #expect(try await backend.service.get(id: UUID().uuidString.lowercased()) == nil)
                var listed: [String] = []
                var cursor: String?
                repeat {
                    let page = try await backend.service.list(ListQuery(pageSize: 3, after: cursor))
                    listed += page.users.map(\.id)
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(listed.count == ids.count)
                #expect(Set(listed) == ids)
                let byEmail = try await backend.service.list(ListQuery(email: "USER3@example.com"))
                #expect(byEmail.users.count == 1)
                #expect(byEmail.users.first?.attributes.email == "user3@example.com")
            }
        }
    }

    @Test("12 concurrent creates with one email give one user; every losing key is scheduled for deletion")
    func createRace() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                _ = try await backend.table.ensureTable()
                let service = backend.service
                let spellings = ["Race@Example.com", "race@example.com", "RACE@EXAMPLE.COM"]
                let outcomes = await withTaskGroup(of: Result<UserSummary, any Error>.self) { group in
                    for index in 0..<12 {
                        group.addTask {
                            do { return .success(try await service.create(Self.input(index, email: spellings[index % 3]))) }
                            catch { return .failure(error) }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                let winners = outcomes.compactMap { try? $0.get() }
                #expect(winners.count == 1)
                for case .failure(let error) in outcomes { #expect(error as? UserTableError == .duplicateEmail) }
                let winnerKey = try #require(try await backend.table.item(id: winners[0].id)?.credentialsKeyId)
                for keyId in try await backend.keys.listKeyIds() {
                    let state = try await backend.keys.describeKey(keyId: keyId).state
                    #expect(state == (winnerKey.hasSuffix(keyId) ? .enabled : .pendingDeletion))
                }
            }
        }
    }

    @Test("records written the original service's way list correctly, and boto3 decrypts what UserVault writes")
    func interoperability() async throws {
        try await withMotoServer { moto in
            let created = try await runOriginalServiceFixture(["create-table", "users"], moto: moto)
            #expect(created.status == 0, "\(created.output)")
            let written = try await runOriginalServiceFixture(["write", "users", "4"], moto: moto)
            #expect(written.status == 0, "\(written.output)")
            let legacy = written.output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
            }
            #expect(legacy.count == 4)
            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                #expect(try await !backend.table.ensureTable(), "the original table is used as it is")
                let ours = try await backend.service.create(Self.input(1))
                let listed = try await backend.service.list(ListQuery(pageSize: 100)).users
                #expect(Set(listed.map(\.id)) == Set(legacy.compactMap { $0["id"] } + [ours.id]))
                let legacyUser = try #require(listed.first { $0.id == legacy[0]["id"] })
                #expect(legacyUser.attributes.email == legacy[0]["email"])
                #expect(legacyUser.attributes.createdAt == nil)
                let found = try await backend.service.list(ListQuery(email: legacy[1]["email"]))
                #expect(found.users.map(\.id) == [legacy[1]["id"]!])

                let decrypted = try await runOriginalServiceFixture(["decrypt", "users", ours.id], moto: moto)
                #expect(decrypted.status == 0, "\(decrypted.output)")
                #expect(decrypted.output.trimmingCharacters(in: .whitespacesAndNewlines) == "moto-password-1")
            }
        }
    }

    @Test("a missing table is one clear error; nothing secret reaches the logs")
    func missingTableAndLogs() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let logs = LogRecorder()
                let backend = MotoBackend(moto: moto, transport: transport, tableName: "absent", logger: logs.logger)
                await #expect(throws: UserTableError.tableNotFound("absent")) {
                    _ = try await backend.service.list(ListQuery())
                }
                await #expect(throws: UserTableError.tableNotFound("absent")) {
                    _ = try await backend.service.create(Self.input(5))
                }
                let keys = try await backend.keys.listKeyIds()
                #expect(keys.isEmpty, "no key is created for a table that is not there")
                for entry in logs.entries {
                    #expect(!entry.rendered.contains("testing-secret"))
                    #expect(!entry.rendered.contains("moto-password-5"))
                }
            }
        }
    }

    @Test("a write that fails after its key was created leaves that key scheduled for deletion")
    func failedWriteSchedulesKeyDeletion() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                _ = try await backend.table.ensureTable()
                let first = try await backend.service.create(Self.input(1, email: "twice@example.com"))
                // The email index is eventually consistent on real DynamoDB: model a lagging index,
                // so the pre-check passes and the transaction's guard item decides.
                let lagging = UserService(table: LaggingIndexTable(base: backend.table), keys: backend.keys,
                                          cursors: backend.service.cursors)
                await #expect(throws: UserTableError.duplicateEmail) {
                    _ = try await lagging.create(Self.input(2, email: "TWICE@example.com"))
                }
                let firstKey = try #require(try await backend.table.item(id: first.id)?.credentialsKeyId)
                let keys = try await backend.keys.listKeyIds()
                #expect(keys.count == 2)
                for keyId in keys {
                    let state = try await backend.keys.describeKey(keyId: keyId).state
                    #expect(state == (firstKey.hasSuffix(keyId) ? .enabled : .pendingDeletion))
                }
            }
        }
    }
}

/// The real table, but its email index has not caught up yet (as a GSI may lag on DynamoDB).
struct LaggingIndexTable: UserTable {
    let base: DynamoDBUserTable
    var backendName: String { base.backendName }
    var tableName: String { base.tableName }
    func ensureTable() async throws -> Bool { try await base.ensureTable() }
    func insertUser(_ record: NewUserRecord) async throws { try await base.insertUser(record) }
    func user(id: String) async throws -> UserSummary? { try await base.user(id: id) }
    func item(id: String) async throws -> StoredItem? { try await base.item(id: id) }
    func users(withEmails emails: [String]) async throws -> [UserSummary] { [] }
    func scan(_ request: ScanRequest) async throws -> ScanPage { try await base.scan(request) }
    func unconditionalPut(_ item: StoredItem) async throws { try await base.unconditionalPut(item) }
    func approximateItemCount() async throws -> Int? { try await base.approximateItemCount() }
}
