import EmbeddedStore
import Foundation
import Testing
import TestSupport
import UserVaultCore

@Suite("Segmented scans of the embedded store")
struct SegmentScanTests {
    @Test("segment ranges tile the hash space for any count", arguments: [1, 2, 3, 7, 64, 1000, 65_537, 1_000_000])
    func rangesTile(total: Int) {
        var expectedLower: Int64 = 0
        for segment in 0..<total {
            let range = SegmentHash.range(segment: segment, of: total)
            #expect(range.lowerBound == expectedLower)
            #expect(!range.isEmpty)
            expectedLower = range.upperBound
        }
        #expect(expectedLower == Int64(SegmentHash.space))
    }

    @Test("an item's hash never changes")
    func stableHash() {
        #expect(SegmentHash.hash("5f0c3b8e-1f7e-4a51-9d1e-6f1c2d3e4f50") == SegmentHash.hash("5f0c3b8e-1f7e-4a51-9d1e-6f1c2d3e4f50"))
        #expect((0..<Int64(SegmentHash.space)).contains(SegmentHash.hash("x")))
    }

    /// 400 users written as the original service would have (plus guard items, plus a legacy
    /// item without one), then scanned with small pages.
    @Test("scans with 1, 7 and 64 segments are disjoint and complete", arguments: [1, 7, 64])
    func disjointAndComplete(segments: Int) async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        var ids: Set<String> = []
        for index in 0..<400 {
            let id = UUID().uuidString.lowercased()
            ids.insert(id)
            try await store.store.table.unconditionalPut(StoredItem(
                id: id, type: "users", firstname: "F\(index)", lastname: "L", email: "u\(index)@example.com",
                username: "user\(index)", credentials: .binary(Data([1, 2, 3]))))
            if index % 2 == 0 {
                try await store.store.table.unconditionalPut(StoredItem(id: EmailGuard.itemId(forEmail: "u\(index)@example.com"), type: EmailGuard.itemType))
            }
        }
        var seen: [String] = []
        var nonEmptySegments = 0
        for segment in 0..<segments {
            var after: String?
            var segmentCount = 0
            repeat {
                let page = try await store.store.table.scan(ScanRequest(
                    segment: segment, totalSegments: segments, startAfter: after, limit: 13, projection: .full))
                #expect(page.items.count <= 13)
                #expect(page.items.allSatisfy { $0.isUser })
                seen += page.items.map(\.id)
                segmentCount += page.items.count
                after = page.lastEvaluatedId
            } while after != nil
            if segmentCount > 0 { nonEmptySegments += 1 }
        }
        #expect(seen.count == ids.count, "no item twice")
        #expect(Set(seen) == ids, "every item once")
        #expect(nonEmptySegments == segments || segments == 64 && nonEmptySegments >= 60)
    }

    @Test("the public projection never reads credentials")
    func projection() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        try await store.store.table.unconditionalPut(StoredItem(
            id: UUID().uuidString.lowercased(), type: "users", firstname: "A", lastname: "B", email: "a@b.io",
            username: "ab", credentials: .string("hunter22"), credentialsKeyId: "k"))
        let page = try await store.store.table.scan(ScanRequest(limit: 10, projection: .publicAttributes))
        #expect(page.items.count == 1)
        #expect(page.items[0].credentials == nil)
        #expect(page.items[0].credentialsKeyId == nil)
        let full = try await store.store.table.scan(ScanRequest(limit: 10, projection: .full))
        #expect(full.items[0].credentials == .string("hunter22"))
        #expect(!"\(full.items[0])".contains("hunter22"), "descriptions are redacted")
    }
}
