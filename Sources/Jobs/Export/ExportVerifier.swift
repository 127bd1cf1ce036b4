import ArchiveIO
import Crypto
import Foundation
import UserVaultCore

/// `uservault verify-export`: re-reads an export archive and checks everything the export
/// promised: the manifest's counts, sizes and SHA-256 of every part, each part's JSON:API shape,
/// user ids unique across the archive, no attribute beyond the allow-list, and `PATH.sha256`.
///
/// ```swift
/// let outcome = ExportVerifier.verify(archive: "users.tar.zst")
/// for problem in outcome.problems { print(problem) }
/// ```
public enum ExportVerifier {
    public struct Outcome: Sendable {
        /// One line per problem; empty when the archive is sound.
        public var problems: [String] = []
        public var users = 0
        public var files = 0
    }

    /// The keys a part's top level and its resources may have.
    static let documentKeys: Set<String> = ["jsonapi", "data", "meta", "links"]
    static let resourceKeys: Set<String> = ["type", "id", "attributes"]

    public static func verify(archive path: String) -> Outcome {
        var outcome = Outcome()
        var seen: [String: ExportJob.FileEntry] = [:]
        var manifest: [String: Any]?
        var ids = Set<String>()
        var duplicates = 0
        do {
            try ArchiveReader.forEachEntry(in: path) { name, contents in
                if name == ExportJob.manifestPath {
                    guard manifest == nil else { return outcome.problems.append("manifest.json appears twice") }
                    manifest = (try? JSONSerialization.jsonObject(with: Data(contents))) as? [String: Any] ?? [:]
                    return
                }
                guard ExportJob.segmentAndSequence(name) != nil else {
                    return outcome.problems.append("\(name): not a part of an export (users/part-W-S-Q.json)")
                }
                guard seen[name] == nil else { return outcome.problems.append("\(name) appears twice") }
                let count = checkPart(name, contents, ids: &ids, duplicates: &duplicates, problems: &outcome.problems)
                seen[name] = .init(path: name, items: count, bytes: contents.count, sha256: Hex.lowercase(SHA256.hash(data: contents)))
                outcome.users += count
                outcome.files += 1
            }
        } catch {
            outcome.problems.append("cannot read the archive: \(error)")
            return outcome
        }
        if duplicates > 0 { outcome.problems.append("\(duplicates) user ids appear more than once") }
        checkManifest(manifest, against: seen, users: outcome.users, problems: &outcome.problems)
        checkSource(manifest, archiveName: URL(fileURLWithPath: path).lastPathComponent, problems: &outcome.problems)
        checkChecksumFile(of: path, problems: &outcome.problems)
        return outcome
    }

    /// Checks one part's JSON:API shape; returns how many user resources it holds.
    static func checkPart(_ name: String, _ contents: [UInt8], ids: inout Set<String>, duplicates: inout Int,
                          problems: inout [String]) -> Int {
        guard let document = (try? JSONSerialization.jsonObject(with: Data(contents))) as? [String: Any] else {
            problems.append("\(name): not a JSON object")
            return 0
        }
        if let extra = Set(document.keys).subtracting(documentKeys).sorted().first {
            problems.append("\(name): unexpected top-level member '\(extra)'")
        }
        if (document["jsonapi"] as? [String: Any])?["version"] as? String != "1.0" {
            problems.append("\(name): jsonapi.version is not \"1.0\"")
        }
        guard let data = document["data"] as? [Any] else {
            problems.append("\(name): data is not an array of resources")
            return 0
        }
        let allowed = Set(ExportDocument.attributeNames)
        for (index, element) in data.enumerated() {
            let at = "\(name): data[\(index)]"
            guard let resource = element as? [String: Any] else {
                problems.append("\(at) is not a resource object")
                continue
            }
            if let extra = Set(resource.keys).subtracting(resourceKeys).sorted().first {
                problems.append("\(at): unexpected member '\(extra)'")
            }
            if resource["type"] as? String != "users" { problems.append("\(at): type is not \"users\"") }
            if let id = resource["id"] as? String, !id.isEmpty {
                if !ids.insert(id).inserted { duplicates += 1 }
            } else {
                problems.append("\(at): no id")
            }
            guard let attributes = resource["attributes"] as? [String: Any] else {
                problems.append("\(at): attributes is not an object")
                continue
            }
            if let extra = Set(attributes.keys).subtracting(allowed).sorted().first {
                problems.append("\(at): attribute '\(extra)' is not on the allow-list")
            }
            if let bad = attributes.first(where: { !($0.value is String) }) {
                problems.append("\(at): attribute '\(bad.key)' is not a string")
            }
        }
        return data.count
    }

    static func checkManifest(_ manifest: [String: Any]?, against seen: [String: ExportJob.FileEntry], users: Int,
                              problems: inout [String]) {
        guard let manifest else { return problems.append("no manifest.json") }
        if (manifest["jsonapi"] as? [String: Any])?["version"] as? String != "1.0" {
            problems.append("manifest.json: jsonapi.version is not \"1.0\"")
        }
        guard let meta = manifest["meta"] as? [String: Any], let files = meta["files"] as? [[String: Any]] else {
            return problems.append("manifest.json: no meta.files")
        }
        if meta["itemCount"] as? Int != users {
            problems.append("manifest.json: itemCount is \(meta["itemCount"].map { "\($0)" } ?? "missing"), the parts hold \(users) users")
        }
        var listed = Set<String>()
        for file in files {
            guard let path = file["path"] as? String else {
                problems.append("manifest.json: a file entry has no path")
                continue
            }
            listed.insert(path)
            guard let actual = seen[path] else {
                problems.append("manifest.json lists \(path), which is not in the archive")
                continue
            }
            if file["items"] as? Int != actual.items { problems.append("\(path): \(actual.items) users, the manifest says \(file["items"] ?? "nothing")") }
            if file["bytes"] as? Int != actual.bytes { problems.append("\(path): \(actual.bytes) bytes, the manifest says \(file["bytes"] ?? "nothing")") }
            if file["sha256"] as? String != actual.sha256 { problems.append("\(path): its SHA-256 does not match the manifest") }
        }
        for path in seen.keys.sorted() where !listed.contains(path) {
            problems.append("\(path) is in the archive but not in manifest.json")
        }
    }

    /// `meta.source`: a scan, or a DynamoDB export named by its ARN, its table's ARN and its exact
    /// export time, which `meta.asOf` repeats and the archive's name carries (`-asof-<stamp>`). An
    /// archive with neither `source` nor `asOf` was written before sources were recorded: a scan.
    static func checkSource(_ manifest: [String: Any]?, archiveName: String, problems: inout [String]) {
        guard let meta = manifest?["meta"] as? [String: Any] else { return }
        // Archives written before sources were recorded have neither source nor asOf: scans.
        if meta["source"] == nil && meta["asOf"] == nil { return }
        guard let source = meta["source"] as? [String: Any], let type = source["type"] as? String else {
            return problems.append("manifest.json: meta.source is not a source (scan, or the DynamoDB export the archive was made from)")
        }
        switch type {
        case "scan":
            if meta["asOf"] != nil { problems.append("manifest.json: a scan's archive has an asOf") }
        case ExportProvenance.kind:
            guard let arn = source["exportArn"] as? String, arn.hasPrefix("arn:"), arn.contains(":dynamodb:") else {
                return problems.append("manifest.json: meta.source has no DynamoDB exportArn")
            }
            guard let table = source["tableArn"] as? String, table.hasPrefix("arn:"), table.contains(":table/") else {
                return problems.append("manifest.json: meta.source has no tableArn")
            }
            guard let time = source["exportTime"] as? String, ExportProvenance.date(time) != nil else {
                return problems.append("manifest.json: meta.source has no exportTime (RFC 3339)")
            }
            if meta["asOf"] as? String != time { problems.append("manifest.json: meta.asOf is not the export's exportTime \(time)") }
            let provenance = ExportProvenance(exportArn: arn, tableArn: table, exportTime: time)
            if let stamp = provenance.stamp, !archiveName.contains("-asof-" + stamp) {
                problems.append("\(archiveName): the name does not carry the export time (-asof-\(stamp))")
            }
        default:
            problems.append("manifest.json: meta.source.type '\(type)' is neither scan nor \(ExportProvenance.kind)")
        }
    }

    /// `PATH.sha256` holds `<hex>  <name>` and the hex is the archive's SHA-256.
    static func checkChecksumFile(of path: String, problems: inout [String]) {
        let checksumPath = path + ".sha256"
        guard let text = try? String(contentsOfFile: checksumPath, encoding: .utf8) else {
            return problems.append("no \(URL(fileURLWithPath: checksumPath).lastPathComponent) beside the archive")
        }
        let expected = text.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        guard let actual = try? fileSHA256(path) else { return problems.append("cannot read the archive to check its SHA-256") }
        if expected.lowercased() != actual {
            problems.append("the archive's SHA-256 does not match \(URL(fileURLWithPath: checksumPath).lastPathComponent)")
        }
    }

    static func fileSHA256(_ path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        return Hex.lowercase(hash.finalize())
    }
}
