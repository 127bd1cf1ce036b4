import Foundation
import UserVaultCore

/// `uservault merge-reports`: the reports of the M `--worker I/M` runs of one audit → the report a
/// single run over the whole table would have written. Per-user findings and counters add up;
/// shared keys, duplicate emails and orphan keys are recomputed across all workers from their
/// ``AuditShare``s.
public enum AuditMerge {
    /// One worker's report folder.
    public struct Part: Sendable {
        public var report: JobReport
        public var share: AuditShare
        public var folder: URL

        public init(report: JobReport, share: AuditShare, folder: URL) {
            self.report = report
            self.share = share
            self.folder = folder
        }
    }

    /// Reads `report.json` and `audit-share.json` from a report folder.
    public static func load(_ folder: URL) throws -> Part {
        func read<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
            let url = folder.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw MergeError("\(url.path): not found (merge-reports takes the report folders of --worker runs)")
            }
            do {
                return try JSONDecoder().decode(T.self, from: data)
            } catch {
                throw MergeError("\(url.path): not a UserVault \(name)")
            }
        }
        return Part(report: try read("report.json", as: JobReport.self),
                    share: try read(AuditShare.fileName, as: AuditShare.self), folder: folder)
    }

    /// The report a single run would have written, from the parts of every worker of one audit.
    /// - Parameter keys: the key service, to list orphan keys when the audit was deep (unused otherwise).
    /// - Throws: ``MergeError`` when the parts are not every worker of one audit, exactly once each.
    public static func merge(_ parts: [Part], keys: (any KeyService)?) async throws -> JobReport {
        guard let first = parts.first else { throw MergeError("no reports to merge") }
        for part in parts {
            let share = part.share
            guard share.backend == first.share.backend, share.table == first.share.table, share.depth == first.share.depth,
                  share.totalSegments == first.share.totalSegments, share.worker.count == first.share.worker.count
            else {
                throw MergeError("\(part.folder.path) is from another audit (backend, table, depth, segments and worker count must match)")
            }
            // Workers of an audit from a DynamoDB export split that export's data files: all read the same one.
            guard part.report.parameters["exportArn"] == first.report.parameters["exportArn"] else {
                throw MergeError("\(part.folder.path) read other items (another DynamoDB export, or the live table)")
            }
        }
        let workers = first.share.worker.count
        let indices = parts.map(\.share.worker.index)
        if Set(indices).count != indices.count {
            throw MergeError("two reports are from the same worker (\(indices.sorted().map { "\($0)/\(workers)" }.joined(separator: ", ")))")
        }
        let missing = Set(0..<workers).subtracting(indices).sorted()
        guard missing.isEmpty else {
            throw MergeError("missing the report of worker \(missing.map { "\($0)/\(workers)" }.joined(separator: ", "))")
        }
        let complete = parts.allSatisfy { $0.share.complete == true && $0.report.complete }
        var counters: [String: Int] = [:]
        var findings: [Finding] = []
        var keyRefs: [Membership] = []
        var emails: [Membership] = []
        var referenced: Set<String> = []
        var stats = JobReport.Stats()
        for part in parts {
            counters.merge(part.share.counters, uniquingKeysWith: +)
            findings += part.share.findings
            keyRefs += part.share.keyRefs
            emails += part.share.emails
            referenced.formUnion(part.share.referencedKeys)
            stats.add(part.report.stats)
        }
        let (groupFindings, unverified) = CrossScanChecks.groups(keyRefs: keyRefs, emails: emails)
        findings += groupFindings
        var orphanKeys: OrphanKeyCost?
        if complete && first.share.depth == AuditDepth.deep.rawValue {
            guard let keys else { throw MergeError("merging deep audits lists orphan keys: it needs the backend") }
            let orphans = try await CrossScanChecks.orphans(
                index: try await KeyOwnership(keys: keys).index(), referenced: referenced, keys: keys)
            findings += orphans.findings
            stats.kmsRequests += orphans.requests
            orphanKeys = OrphanKeyCost(keys: orphans.findings.count)
        }
        var parameters = first.report.parameters
        parameters["mergedFrom"] = parts.sorted { $0.share.worker.index < $1.share.worker.index }.map(\.report.runId).joined(separator: ",")
        let starts = parts.map(\.report.startedAt).sorted(), ends = parts.map(\.report.finishedAt).sorted()
        var merged = JobReport(
            job: "audit", runId: UUID().uuidString.lowercased(), startedAt: starts.first ?? first.report.startedAt,
            finishedAt: ends.last ?? first.report.finishedAt, backend: first.share.backend, table: first.share.table,
            complete: complete, parameters: parameters,
            segments: .init(total: first.share.totalSegments, worker: WorkerShare.whole.description,
                            assigned: parts.map(\.report.segments.assigned).reduce(0, +),
                            finished: parts.map(\.report.segments.finished).reduce(0, +)),
            counters: counters, unverified: unverified, findings: findings, stats: stats)
        merged.orphanKeys = orphanKeys
        return merged
    }
}

public struct MergeError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension JobReport.Stats {
    /// Adds another run's requests; the duration is the longest of the two (workers run side by side).
    mutating func add(_ other: Self) {
        dynamoRequests += other.dynamoRequests
        kmsRequests += other.kmsRequests
        taggingRequests += other.taggingRequests
        retries += other.retries
        throttles += other.throttles
        consumedReadUnits += other.consumedReadUnits
        durationSeconds = max(durationSeconds, other.durationSeconds)
    }
}
