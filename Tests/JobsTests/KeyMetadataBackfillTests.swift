import EmbeddedStore
import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `KeyMetadataBackfill` on the embedded store, called directly: a dry run plans `RECORD_KEY_ID`
/// for exactly the legacy records (no `credentialsKeyId`), naming the key tagged for the user,
/// and writes nothing; apply binds the ciphertext to its user (context `{"userId": id}`) and
/// records the key's ARN and `createdAt`; a second apply finds no legacy record.
@Suite("KeyMetadataBackfill: dry run, apply, apply again")
struct KeyMetadataBackfillTests {
    @Test("legacy records get their key's ARN and createdAt; their ciphertext then decrypts with {userId} to the same password")
    func backfill() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let modern = try await JobsFixtures.createUsers(2, in: store)
        var legacy: [String: (key: KeyMetadata, password: String)] = [:]
        for number in 1...2 {
            let id = "7c1d0f55-0000-4000-8000-0000000000d\(number)"
            let password = "legacy password \(number)"
            legacy[id] = (try await JobsFixtures.plantLegacy(id: id, password: password, email: "d\(number)@example.com", in: store),
                          password)
        }
        let keys = store.store.keys
        let page = try await JobsFixtures.users(store)

        let before = try storeSHA256(store.path)
        let dry = try await KeyMetadataBackfill(table: store.store.table, keys: keys)
            .repair(page, apply: false, runId: JobsFixtures.runId)
        #expect(try storeSHA256(store.path) == before, "a dry run writes nothing")
        #expect(JobsFixtures.users(dry, .planned) == Set(legacy.keys) && dry.count == legacy.count, "\(dry)")
        for action in dry {
            #expect(action.action == "RECORD_KEY_ID"
                    && action.keyId.map(KeyReference.bareKeyId) == legacy[action.userId]?.key.keyId, "\(action)")
        }

        let applied = try await KeyMetadataBackfill(table: store.store.table, keys: keys)
            .repair(page, apply: true, runId: JobsFixtures.runId)
        #expect(JobsFixtures.users(applied, .done) == Set(legacy.keys) && applied.count == legacy.count, "\(applied)")
        for (id, planted) in legacy {
            let item = try #require(try await JobsFixtures.item(id, in: store))
            #expect(item.credentialsKeyId == planted.key.arn)
            #expect(item.createdAt == planted.key.creationDate.map(UserService.timestamp), "createdAt from the key's creation")
            #expect(try await JobsFixtures.decrypt(item, in: store) == planted.password)
        }
        for user in modern {
            #expect(try await JobsFixtures.decrypt(try await JobsFixtures.item(user.id, in: store), in: store) == user.password)
        }

        let settled = try storeSHA256(store.path)
        #expect(settled != before, "the digest sees what apply wrote")
        let again = try await KeyMetadataBackfill(table: store.store.table, keys: keys)
            .repair(try await JobsFixtures.users(store), apply: true, runId: JobsFixtures.runId)
        #expect(again.isEmpty, "\(again)")
        #expect(try storeSHA256(store.path) == settled, "a second apply changes nothing")
    }
}
