import ArchiveIO
import Crypto
import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `ExportVerifier` (what `verify-export` runs) on real archives that break one promise each:
/// every problem it can name is named, with the part and the resource at fault, and a sound
/// archive built the same way has none. The CLI tests cover flipped bytes and a repacked part;
/// these cover the shape checks of parts, the manifest and the `.sha256` beside the archive.
@Suite("ExportVerifier: the problems verify-export names")
struct ExportVerifierTests {
    typealias Entry = (path: String, contents: [UInt8])

    static func json(_ object: Any) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func user(_ id: String) -> [String: Any] {
        ["type": "users", "id": id, "attributes": ["firstname": "Ada", "lastname": "Lovelace", "email": "\(id)@example.com",
                                                  "username": id, "createdAt": "2026-01-01T00:00:00.000Z"]]
    }

    static func part(_ data: Any, extra: [String: Any] = [:]) -> [UInt8] {
        json(["jsonapi": ["version": "1.0"], "data": data, "meta": ["count": 1]].merging(extra) { $1 })
    }

    /// The manifest an export writes for `parts`: every path with its users, bytes and SHA-256.
    static func manifest(for parts: [Entry], items: [Int]) -> [String: Any] {
        let files = zip(parts, items).map { part, count -> [String: Any] in
            ["path": part.path, "items": count, "bytes": part.contents.count,
             "sha256": Hex.lowercase(SHA256.hash(data: part.contents))]
        }
        return ["jsonapi": ["version": "1.0"], "meta": ["itemCount": items.reduce(0, +), "files": files]]
    }

    /// Writes `entries` to `name` (tar.gz) in `directory`, and `name.sha256` as the export does
    /// unless `checksum` is false; verifies it.
    static func verify(_ entries: [Entry], in directory: URL, name: String = "users.tar.gz",
                       checksum: Bool = true) throws -> ExportVerifier.Outcome {
        let path = directory.appendingPathComponent(name).path
        let writer = try ArchiveWriter(creating: path, format: .tarGz)
        for entry in entries { try writer.add(path: entry.path, contents: entry.contents) }
        let written = try writer.finish()
        if checksum {
            try "\(Hex.lowercase(written.sha256))  \(name)\n".write(toFile: path + ".sha256", atomically: true, encoding: .utf8)
        }
        return ExportVerifier.verify(archive: path)
    }

    static let soundParts: [Entry] = [
        ("users/part-0-0-0.json", part([user("u1"), user("u2")])),
        ("users/part-0-1-0.json", part([user("u3")])),
    ]

    static var soundManifest: Entry { ("manifest.json", json(manifest(for: soundParts, items: [2, 1]))) }

    @Test("a sound archive: no problem, its users and parts counted")
    func sound() throws {
        let directory = try makeTemporaryDirectory("uservault-verify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try Self.verify(Self.soundParts + [Self.soundManifest], in: directory)
        #expect(outcome.problems == [])
        #expect(outcome.users == 3 && outcome.files == 2)
    }

    @Test("a part's JSON:API shape: every broken member named, with the resource's index")
    func partShape() throws {
        let directory = try makeTemporaryDirectory("uservault-verify")
        defer { try? FileManager.default.removeItem(at: directory) }
        var secretive = Self.user("u5")
        secretive["attributes"] = ["firstname": "Eve", "credentials": "c2VjcmV0"]
        var numeric = Self.user("u6")
        numeric["attributes"] = ["firstname": 42]
        let resources: [Any] = [
            "not an object",
            Self.user("u1").merging(["relationships": [:]]) { $1 },
            Self.user("u2").merging(["type": "people"]) { $1 },
            Self.user("u3").filter { $0.key != "id" },
            Self.user("u4").merging(["attributes": "flat"]) { $1 },
            secretive,
            numeric,
        ]
        let parts: [Entry] = [
            ("users/part-0-0-0.json", Self.part(resources)),
            ("users/part-0-1-0.json", Self.part([Self.user("u1")], extra: ["jsonapi": ["version": "1.1"], "errors": []])),
            ("users/part-0-2-0.json", Self.part("not an array")),
            ("users/part-0-3-0.json", Array("{not json".utf8)),
            ("users/readme.txt", Array("hello".utf8)),
        ]
        let manifest: Entry = ("manifest.json", Self.json(Self.manifest(for: Array(parts.prefix(4)), items: [7, 1, 0, 0])))
        let problems = try Self.verify(parts + [manifest], in: directory).problems
        let part = "users/part-0-0-0.json: data"
        #expect(problems == [
            "\(part)[0] is not a resource object",
            "\(part)[1]: unexpected member 'relationships'",
            "\(part)[2]: type is not \"users\"",
            "\(part)[3]: no id",
            "\(part)[4]: attributes is not an object",
            "\(part)[5]: attribute 'credentials' is not on the allow-list",
            "\(part)[6]: attribute 'firstname' is not a string",
            "users/part-0-1-0.json: unexpected top-level member 'errors'",
            "users/part-0-1-0.json: jsonapi.version is not \"1.0\"",
            "users/part-0-2-0.json: data is not an array of resources",
            "users/part-0-3-0.json: not a JSON object",
            "users/readme.txt: not a part of an export (users/part-W-S-Q.json)",
            "1 user ids appear more than once",
        ])
    }

    @Test("the manifest: missing, wrong version, no files, counts, sizes and digests that disagree, paths on one side only")
    func manifestChecks() throws {
        let directory = try makeTemporaryDirectory("uservault-verify")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try Self.verify(Self.soundParts, in: directory, name: "none.tar.gz").problems == ["no manifest.json"])
        #expect(try Self.verify(Self.soundParts + [("manifest.json", Self.json(["jsonapi": ["version": "1.0"]]))],
                                in: directory, name: "nofiles.tar.gz").problems
                == ["manifest.json: no meta.files"])

        var wrong = Self.manifest(for: Self.soundParts, items: [2, 1])
        wrong["jsonapi"] = ["version": "0.9"]
        var meta = try #require(wrong["meta"] as? [String: Any])
        var files = try #require(meta["files"] as? [[String: Any]])
        files[0]["items"] = 3
        files[0]["bytes"] = 1
        files[0]["sha256"] = String(repeating: "0", count: 64)
        files[1]["path"] = "users/part-0-9-0.json"
        files.append(["items": 0])
        meta["files"] = files
        meta["itemCount"] = 4
        wrong["meta"] = meta
        let problems = try Self.verify(Self.soundParts + [("manifest.json", Self.json(wrong))], in: directory,
                                       name: "wrong.tar.gz").problems
        let bytes = Self.soundParts[0].contents.count
        #expect(problems == [
            "manifest.json: jsonapi.version is not \"1.0\"",
            "manifest.json: itemCount is 4, the parts hold 3 users",
            "users/part-0-0-0.json: 2 users, the manifest says 3",
            "users/part-0-0-0.json: \(bytes) bytes, the manifest says 1",
            "users/part-0-0-0.json: its SHA-256 does not match the manifest",
            "manifest.json lists users/part-0-9-0.json, which is not in the archive",
            "manifest.json: a file entry has no path",
            "users/part-0-1-0.json is in the archive but not in manifest.json",
        ])

        let twice = try Self.verify(Self.soundParts + [Self.soundManifest, Self.soundManifest, Self.soundParts[1]],
                                    in: directory, name: "twice.tar.gz").problems
        #expect(twice == ["manifest.json appears twice", "users/part-0-1-0.json appears twice"])
    }

    @Test("the .sha256 beside the archive: missing, or another digest; an unreadable archive is one problem")
    func checksumFile() throws {
        let directory = try makeTemporaryDirectory("uservault-verify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let entries = Self.soundParts + [Self.soundManifest]
        #expect(try Self.verify(entries, in: directory, name: "bare.tar.gz", checksum: false).problems
                == ["no bare.tar.gz.sha256 beside the archive"])

        _ = try Self.verify(entries, in: directory, name: "other.tar.gz")
        let checksum = directory.appendingPathComponent("other.tar.gz.sha256")
        try "\(String(repeating: "ab", count: 32))  other.tar.gz\n".write(to: checksum, atomically: true, encoding: .utf8)
        #expect(ExportVerifier.verify(archive: directory.appendingPathComponent("other.tar.gz").path).problems
                == ["the archive's SHA-256 does not match other.tar.gz.sha256"])

        let garbage = directory.appendingPathComponent("garbage.tar.gz")
        try Data("this is not an archive".utf8).write(to: garbage)
        let unreadable = ExportVerifier.verify(archive: garbage.path).problems
        #expect(unreadable.count == 1 && unreadable[0].hasPrefix("cannot read the archive: "), "\(unreadable)")
    }
}
