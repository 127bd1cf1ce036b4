import Foundation
import Jobs
import Logging
import Testing
import TestSupport
import UserVaultCore

/// `--key-state proof` reads key states from the proof's own answer, as AWS KMS gives it (the
/// embedded key service enforces key state on ReEncrypt the same way): the same findings as
/// `describe`, with one KMS request per user and one more per finding at most.
@Suite("Key states from the proof or from DescribeKey")
struct KeyStateTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func audit(_ store: TemporaryStore, depth: AuditDepth, keyState: KeyStateSource) async throws -> JobReport {
        let job = AuditJob(configuration: .init(scan: .init(totalSegments: 4, concurrency: 2, pageSize: 13), depth: depth,
                                                keyState: keyState))
        let state = try RunState(path: nil, fingerprint: job.fingerprint(table: store.store.table), resume: false)
        defer { state.discard() }
        return try await job.run(table: store.store.table, keys: store.store.keys, state: state, logger: logger)
    }

    @Test("every planted defect: proof and describe find the same, at standard and deep depth", arguments: AuditDepth.allCases)
    func sameFindings(depth: AuditDepth) async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let outcome = try await Seeder(service: store.service).run(.init(users: 80, defects: 27, seed: 14), logger: Self.logger)
        #expect(Set(outcome.defects.map(\.kind)) == Set(DefectKind.allCases), "every kind is planted")
        let described = try await Self.audit(store, depth: depth, keyState: .describe)
        let proven = try await Self.audit(store, depth: depth, keyState: .proof)
        #expect(described.complete && proven.complete)
        #expect(proven.findings == described.findings)
        #expect(proven.summary == described.summary && proven.verified == described.verified)
        if depth == .standard {
            #expect(proven.stats.kmsRequests <= proven.users + proven.findings.count,
                    "proof: \(proven.stats.kmsRequests) requests for \(proven.users) users and \(proven.findings.count) findings")
            #expect(described.stats.kmsRequests > proven.stats.kmsRequests)
            #expect(proven.parameters["keyState"] == "proof")
        } else {
            #expect(proven.parameters["keyState"] == "describe", "deep depth describes every key anyway")
        }
    }
}
