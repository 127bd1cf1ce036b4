@testable import EmbeddedStore
import Foundation
import GRDB
import GRDBSQLite
import Testing
import TestSupport
import UserVaultCore

/// A scan page seeks to where the last one ended. Counted by SQLite itself (virtual-machine
/// steps of the page's statement), not timed.
@Suite("Embedded scan pages seek")
struct ScanSeekTests {
    /// SQLite's count of virtual-machine steps for one page's query: grows with the rows it visits.
    static func steps(_ store: EmbeddedStore, _ request: ScanRequest) async throws -> (steps: Int32, rows: Int) {
        let (sql, arguments) = EmbeddedUserTable.scanQuery(request)
        return try await store.pool.read { db in
            let statement = try db.makeStatement(sql: sql)
            statement.arguments = arguments
            let rows = try Row.fetchAll(statement)
            return (sqlite3_stmt_status(statement.sqliteStatement, SQLITE_STMTSTATUS_VM_STEP, 0), rows.count)
        }
    }

    @Test("the last page of a segment visits no more rows than the first (not every row before it)",
          arguments: [1, 4])
    func lastPageCostsWhatTheFirstDoes(segments: Int) async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        try await store.store.bulkLoadSyntheticUsers(count: 3_000, seed: 7)
        var request = ScanRequest(segment: segments - 1, totalSegments: segments, limit: 50, projection: .full, usersOnly: true)
        var pages: [(steps: Int32, rows: Int)] = []
        var seen = 0
        while true {
            pages.append(try await Self.steps(store.store, request))
            let page = try await store.store.table.scan(request)
            seen += page.items.count
            guard let last = page.lastEvaluatedId else { break }
            request.startAfter = last
        }
        #expect(pages.count > 10, "the segment spans many pages (\(seen) users)")
        let first = try #require(pages.first), last = try #require(pages.dropLast().last)
        // Before: the last full page stepped over every earlier row of the segment (about
        // `pages` times the first page's steps).
        #expect(last.steps <= first.steps * 2, "first page \(first.steps) steps, last full page \(last.steps) of \(pages.count) pages")
    }
}
