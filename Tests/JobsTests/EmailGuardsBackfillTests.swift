import EmbeddedStore
import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `EmailGuardsBackfill` on the embedded store, called directly: a dry run plans
/// `WRITE_EMAIL_GUARD` for exactly the users without a guard and writes none; apply writes them;
/// an email another user holds (in other letter case) is skipped (`DUPLICATE_EMAIL`), never
/// taken; a second apply changes nothing.
@Suite("EmailGuardsBackfill: dry run, apply, apply again")
struct EmailGuardsBackfillTests {
    @Test("writes the guard of each unguarded user; a user whose email another holds is skipped (DUPLICATE_EMAIL)")
    func backfill() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let guarded = try await JobsFixtures.createUsers(2, in: store)
        let holderEmail = try #require(try await JobsFixtures.item(guarded[0].id, in: store)?.email)
        var unguarded: [String: String] = [:]
        for number in 1...3 {
            let id = "7c1d0f55-0000-4000-8000-0000000000c\(number)"
            unguarded[id] = "legacy.user\(number)@example.com"
            try await JobsFixtures.plantLegacy(id: id, password: "password \(number)", email: unguarded[id]!, in: store)
        }
        let duplicate = "7c1d0f55-0000-4000-8000-0000000000c9"
        try await JobsFixtures.plantLegacy(id: duplicate, password: "password 9", email: holderEmail.uppercased(), in: store)
        let table = store.store.table
        let users = try await JobsFixtures.users(store)

        let before = try storeSHA256(store.path)
        let dry = try await EmailGuardsBackfill(table: table).repair(users, apply: false, runId: JobsFixtures.runId)
        #expect(try storeSHA256(store.path) == before, "a dry run writes no guard")
        #expect(JobsFixtures.users(dry, .planned) == Set(unguarded.keys), "\(dry)")
        #expect(JobsFixtures.skipCode(of: duplicate, in: dry) == "DUPLICATE_EMAIL")
        #expect(dry.count == unguarded.count + 1, "nothing for the users who hold their guard")
        for email in unguarded.values { #expect(try await table.emailGuardHolder(email: email) == nil) }

        let applied = try await EmailGuardsBackfill(table: table).repair(users, apply: true, runId: JobsFixtures.runId)
        #expect(JobsFixtures.users(applied, .done) == Set(unguarded.keys), "\(applied)")
        #expect(JobsFixtures.users(applied, .skipped) == [duplicate])
        for (id, email) in unguarded {
            #expect(try await table.emailGuardHolder(email: email) == id)
            #expect(try await table.emailGuardHolder(email: email.uppercased()) == id, "the guard holds the email in any letter case")
        }
        #expect(try await table.emailGuardHolder(email: holderEmail) == guarded[0].id, "the holder keeps its email")

        let settled = try storeSHA256(store.path)
        #expect(settled != before, "the digest sees what apply wrote")
        let again = try await EmailGuardsBackfill(table: table).repair(try await JobsFixtures.users(store), apply: true,
                                                                        runId: JobsFixtures.runId)
        #expect(again.map(\.userId) == [duplicate] && again.first?.outcome == .skipped, "\(again)")
        #expect(try storeSHA256(store.path) == settled, "a second apply changes nothing")
    }
}
