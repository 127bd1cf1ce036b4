import EmbeddedStore
import Foundation
import GRDB
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// The hand-written JSON of the export's documents: escaping edge cases, the allow-list, and
/// agreement with Foundation's parser.
@Suite("Export documents")
struct ExportDocumentTests {
    static let awkward = [
        "plain", "", #"quote " inside"#, #"back\slash \\ twice"#, "new\nline, tab\t, return\r", "\u{8}\u{C}",
        "nul \u{0} and unit separator \u{1F} and DEL \u{7F}", "slash / stays", "é ü ß — “curly”",
        "non-BMP 😀 𝄞 \u{10FFFF}", "replacement \u{FFFD} (invalid UTF-8, as stored)", "\u{2028}\u{2029}",
        String(repeating: "x", count: 5000),
    ]

    static func user(_ id: String, _ text: String?, createdAt: String? = "2026-01-01T00:00:00.000Z") -> StoredItem {
        StoredItem(id: id, type: "users", firstname: text, lastname: text, email: text, username: text, createdAt: createdAt,
                   credentials: .binary(Data([1, 2, 3, 4])),
                   credentialsKeyId: "arn:aws:kms:us-east-1:111122223333:key/secret-key-id")
    }

    @Test("every awkward string survives a round trip through JSONSerialization", arguments: awkward)
    func roundTrip(text: String) throws {
        let bytes = ExportDocument.encode(users: [Self.user("id-\(text.count)", text)], part: "users/part-0-0-0.json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let resource = try #require((document["data"] as? [[String: Any]])?.first)
        let attributes = try #require(resource["attributes"] as? [String: String])
        #expect(attributes["firstname"] == text && attributes["email"] == text)
        #expect(Set(attributes.keys) == Set(ExportDocument.attributeNames))
    }

    @Test("strings decode to the same value as JSONEncoder's, and no raw control character is written")
    func sameAsJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        for text in Self.awkward {
            var mine: [UInt8] = []
            JSONText.appendString(text, to: &mine)
            let theirs = try encoder.encode(text)
            // Both are valid JSON for the same string (escape spellings may differ: \b vs \u0008).
            #expect(try JSONDecoder().decode(String.self, from: Data(mine)) == text)
            #expect(try JSONDecoder().decode(String.self, from: theirs) == text)
            #expect(!mine.contains(where: { $0 < 0x20 }), "no raw control character in \(text.debugDescription)")
        }
    }

    @Test("only the allow-list: no credentials, no key id, no type other than users; createdAt only when present")
    func allowList() throws {
        let bytes = ExportDocument.encode(users: [Self.user("a", "A"), Self.user("b", nil, createdAt: nil)], part: "p")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("credentials") && !text.contains("secret-key-id") && !text.contains("AQIDBA"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let data = try #require(document["data"] as? [[String: Any]])
        #expect(data.count == 2)
        #expect((data[1]["attributes"] as? [String: Any])?.isEmpty == true, "absent attributes are left out")
        #expect((document["jsonapi"] as? [String: String])?["version"] == "1.0")
        #expect((document["meta"] as? [String: Any])?["count"] as? Int == 2)
    }

    @Test("invalid UTF-8 stored in the embedded store exports as U+FFFD, in valid JSON")
    func invalidUTF8FromTheStore() async throws {
        let directory = try makeTemporaryDirectory("uservault-export-utf8")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        let store = try EmbeddedStore(path: path)
        let ids = try await store.bulkLoadSyntheticUsers(count: 3, seed: 1)
        // Bytes no UTF-8 decoder accepts (a lone continuation byte, an overlong form, 0xFF).
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE items SET firstname = CAST(X'418042C0AF43FF' AS TEXT) WHERE id = ?",
                           arguments: [ids[0]])
        }
        let page = try await store.table.scan(ScanRequest(limit: 10, projection: .publicAttributes, usersOnly: true))
        let user = try #require(page.items.first { $0.id == ids[0] })
        let bytes = ExportDocument.encode(users: [user], part: "p")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let firstname = try #require(((document["data"] as? [[String: Any]])?.first?["attributes"] as? [String: Any])?["firstname"] as? String)
        #expect(firstname.hasPrefix("A\u{FFFD}B") && firstname.contains("C") && firstname.hasSuffix("\u{FFFD}"), "\(firstname.debugDescription)")
    }
}
