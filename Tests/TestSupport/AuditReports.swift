import Foundation

/// A `report.json` as the tests read it.
public struct ReportFile: Sendable {
    public var folder: URL
    public var object: [String: any Sendable]
    public var raw: Data

    public var complete: Bool? { object["complete"] as? Bool }
    public var findings: [[String: any Sendable]] { object["findings"] as? [[String: any Sendable]] ?? [] }
    /// The users named by findings.
    public var flaggedUsers: Set<String> { Set(findings.compactMap { $0["userId"] as? String }) }
    /// `userId → codes`.
    public var codesByUser: [String: Set<String>] {
        findings.reduce(into: [:]) { result, finding in
            if let user = finding["userId"] as? String, let code = finding["code"] as? String { result[user, default: []].insert(code) }
        }
    }
    /// The findings as canonical JSON, to compare two runs' findings exactly.
    public var findingsJSON: String {
        let list: Any = object["findings"] ?? [String]()
        let data = (try? JSONSerialization.data(withJSONObject: list, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
    public func int(_ key: String) -> Int? { object[key] as? Int }
    /// What report.html's tiles must show, worked out from report.json alone: users, proven,
    /// open (not accepted) findings by severity, and from `delta` and `suppressed` the new,
    /// resolved and accepted counts ("—" for new and resolved when there is no `delta`).
    public var expectedTiles: [String: String] {
        let open = findings.filter { $0["suppressed"] == nil }
        let delta = object["delta"] as? [String: any Sendable]
        var tiles = ["users": "\(int("users") ?? -1)", "proven": "\(int("verified") ?? -1)",
                     "accepted": "\(findings.count - open.count)",
                     "new": (delta?["new"] as? [Any]).map { "\($0.count)" } ?? "—",
                     "resolved": (delta?["resolved"] as? [Any]).map { "\($0.count)" } ?? "—"]
        for severity in ["high", "medium", "low"] {
            tiles[severity] = "\(open.filter { $0["severity"] as? String == severity }.count)"
        }
        return tiles
    }
    public func stat(_ key: String) -> Int? { (object["stats"] as? [String: any Sendable])?[key] as? Int }
}

/// The newest report of `job` under `reportDirectory` (`<dir>/<job>/<stamp>-<runId>/report.json`).
/// - Warning: the stamp is to the second: of two runs that started in the same second, either may
///   be "newest". Use ``printedReport(_:in:)`` for runs in quick succession.
public func latestReport(in reportDirectory: URL, job: String = "audit") throws -> ReportFile {
    let runs = reportDirectory.appendingPathComponent(job)
    let names = try FileManager.default.contentsOfDirectory(atPath: runs.path).sorted()
    guard let last = names.last else { throw LoopbackError(description: "no \(job) report in \(reportDirectory.path)") }
    return try reportFile(in: runs.appendingPathComponent(last))
}

/// The report a run printed (`report: <folder>/report.md` on stdout), a folder relative to `directory`
/// (the run's working directory) or absolute.
public func printedReport(_ stdout: String, in directory: URL) throws -> ReportFile {
    guard let line = stdout.split(separator: "\n").last(where: { $0.hasPrefix("report: ") }) else {
        throw LoopbackError(description: "no report line in: \(stdout)")
    }
    let path = String(line.dropFirst("report: ".count).dropLast("/report.md".count))
    return try reportFile(in: path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path))
}

/// The `report.json` of a report folder.
public func reportFile(in folder: URL) throws -> ReportFile {
    let raw = try Data(contentsOf: folder.appendingPathComponent("report.json"))
    guard let object = try JSONSerialization.jsonObject(with: raw) as? [String: any Sendable] else {
        throw LoopbackError(description: "report.json is not an object")
    }
    return ReportFile(folder: folder, object: object, raw: raw)
}

/// What `seed --manifest` wrote, or the boto3 fixture's `plant` printed: `(kind, userId, otherUserId?)`.
public struct PlantedFault: Sendable, Hashable, Decodable {
    public var kind: String
    public var userId: String
    public var otherUserId: String?

    /// Found only by `audit --depth deep`.
    public var needsDeepAudit: Bool { kind == "foreign-owner-tag" }

    /// The users a standard (or deep) audit must flag for these faults: both users of a shared key.
    public static func flagged(_ faults: [PlantedFault], deep: Bool) -> Set<String> {
        let found = faults.filter { deep || !$0.needsDeepAudit }
        return Set(found.map(\.userId)).union(found.compactMap(\.otherUserId))
    }

    /// Reads a `seed --manifest` file.
    public static func manifest(_ url: URL) throws -> [PlantedFault] {
        struct Manifest: Decodable { var defects: [PlantedFault] }
        return try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url)).defects
    }
}
