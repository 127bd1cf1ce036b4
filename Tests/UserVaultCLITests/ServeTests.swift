import Foundation
import Testing
import TestSupport

@Suite("uservault seed + serve: the API over a real process and a real SQLite file")
struct ServeTests {
    @Test("create, get, list every page, filter by email; every body is JSON:API; nothing secret leaks")
    func endToEnd() async throws {
        let directory = try makeTemporaryDirectory("uservault-serve")
        defer { try? FileManager.default.removeItem(at: directory) }
        let seeded = try runUserVault(["seed", "--users", "300", "--store", "s.sqlite"], in: directory)
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")

        let passwords = ["Tr0ub4dor&3-jsonapi", "correct-horse-flat-body"]
        let (created, exitCode, logs) = try await withServedUserVault(["--store", "s.sqlite"], in: directory) { client in
            // JSON:API body.
            let first = try await client.send("POST", "/users", json: ["data": ["type": "users", "attributes": [
                "firstname": "Grace", "lastname": "Hopper", "email": "Grace.Hopper@Example.com", "username": "ghopper",
                "credentials": passwords[0]]]])
            #expect(first.status == 201)
            let firstId = try #require((first.json?["data"] as? [String: Any])?["id"] as? String)
            #expect(first.header("Location")?.hasSuffix("/users/\(firstId)") == true)
            // The original service's flat body.
            let second = try await client.send("POST", "/users", json: [
                "firstname": "Alan", "lastname": "Turing", "email": "alan@example.com", "username": "aturing",
                "credentials": passwords[1]], headers: [("Content-Type", "application/json")])
            #expect(second.status == 201)

            let got = try await client.send("GET", "/users/\(firstId)")
            #expect(got.status == 200)
            #expect((got.json?["data"] as? [String: Any])?["id"] as? String == firstId)
            #expect(try await client.send("GET", "/users/\(UUID().uuidString.lowercased())").status == 404)

            // Every page, following links.next.
            var ids: [String] = []
            var target: String? = "/users?page%5Bsize%5D=64"
            var pages = 0
            while let next = target, pages < 50 {
                let page = try await client.send("GET", next)
                #expect(page.status == 200)
                ids += (page.json?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                let link = (page.json?["links"] as? [String: Any])?["next"] as? String
                target = link.map { $0.hasPrefix("http") ? String($0.drop(while: { $0 != "/" }).dropFirst(2).drop(while: { $0 != "/" })) : $0 }
                pages += 1
            }
            #expect(ids.count == 302)
            #expect(Set(ids).count == 302, "no duplicates")

            let filtered = try await client.send("GET", "/users?filter%5Bemail%5D=GRACE.HOPPER%40example.COM")
            #expect(filtered.status == 200)
            #expect((filtered.json?["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [firstId])

            let bodies = client.responses.map(\.body)
            #expect(try validateJSONAPIDocuments(bodies).isEmpty)
            for response in client.responses {
                #expect(!response.text.contains("credentials"), "\(response.target) must not mention credentials")
                for password in passwords { #expect(!response.text.contains(password)) }
            }
            return firstId
        }
        #expect(!created.isEmpty)
        #expect(exitCode == 0, "SIGTERM stops the server cleanly")
        for password in passwords { #expect(!logs.contains(password), "logs never hold a password") }
        #expect(!logs.contains("credentials\""))
    }
}
