import Foundation
import Testing
import TestSupport

/// Where a CLI test keeps its users.
enum TestBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded, moto

    var testDescription: String { rawValue }

    /// Runs `body` with the environment that points `uservault` at this backend.
    func with<Result>(_ body: ([String: String]) async throws -> Result) async throws -> Result {
        switch self {
        case .embedded:
            return try await body(["USERVAULT_STORE": "s.sqlite"])
        case .moto:
            return try await withMotoServer { moto in
                try await body(moto.environment.merging(["USERVAULT_BACKEND": "aws"]) { $1 })
            }
        }
    }
}

@Suite("uservault init + seed + serve: the API over a real process, on the embedded store and on moto")
struct ServeTests {
    @Test("create, get, list every page, filter by email, the 12-way create race; every body is JSON:API; nothing secret leaks",
          arguments: TestBackend.allCases)
    func endToEnd(backend: TestBackend) async throws {
        try await backend.with { environment in try await Self.endToEnd(environment: environment) }
    }

    static func endToEnd(environment: [String: String]) async throws {
        let directory = try makeTemporaryDirectory("uservault-serve")
        defer { try? FileManager.default.removeItem(at: directory) }
        let initialised = try await runUserVault(["init"], environment: environment, in: directory)
        #expect(initialised.exitCode == 0, "\(initialised.stderr)")
        let seeded = try await runUserVault(["seed", "--users", "300", "--concurrency", "2", "--log-level", "warning"], environment: environment,
                                      in: directory)
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")

        let passwords = ["Tr0ub4dor&3-jsonapi", "correct-horse-flat-body"]
        let (created, exitCode, logs) = try await withServedUserVault([], environment: environment, in: directory) { client in
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
            #expect(Set(ids).isSuperset(of: [firstId]))

            let filtered = try await client.send("GET", "/users?filter%5Bemail%5D=GRACE.HOPPER%40example.COM")
            #expect(filtered.status == 200)
            #expect((filtered.json?["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [firstId])

            // The status codes of the foundation issue, on this backend.
            let attributes: [String: Any] = ["firstname": "Edge", "lastname": "Case", "email": "edge@example.com",
                                             "username": "edge", "credentials": "edge-case-password"]
            let jsonAPI = "application/vnd.api+json"
            #expect(try await client.send("POST", "/users", headers: [("Content-Type", jsonAPI)],
                                          body: Data("{\"data\":".utf8)).status == 400)
            var invalid = attributes
            invalid["email"] = "not-an-email"
            let unprocessable = try await client.send("POST", "/users", json: ["data": ["type": "users", "attributes": invalid]])
            #expect(unprocessable.status == 422)
            let pointers = (unprocessable.json?["errors"] as? [[String: Any]])?
                .compactMap { ($0["source"] as? [String: Any])?["pointer"] as? String }
            #expect(pointers == ["/data/attributes/email"])
            #expect(try await client.send("POST", "/users", json: ["data": ["type": "users", "attributes": attributes]],
                                          headers: [("Content-Type", jsonAPI + "; charset=utf-8")]).status == 415)
            #expect(try await client.send("GET", "/users", headers: [("Accept", jsonAPI + "; ext=bulk")]).status == 406)
            #expect(try await client.send("POST", "/users", headers: [("Content-Type", jsonAPI)],
                                          body: Data(repeating: 0x20, count: 2 << 20)).status == 413)
            let wrongMethod = try await client.send("DELETE", "/users")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow")?.contains("POST") == true)
            #expect(try await client.send("GET", "/nope").status == 404)
            #expect(try await client.send("GET", "/users?page%5Bafter%5D=tampered.cursor").status == 400)

            // Twelve concurrent creates with one email in mixed case: one 201, eleven 409.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        let email = ["Race@Example.com", "race@example.com", "RACE@EXAMPLE.COM"][index % 3]
                        return try await client.send("POST", "/users", json: ["data": ["type": "users", "attributes": [
                            "firstname": "Racer", "lastname": "\(index)", "email": email, "username": "racer\(index)",
                            "credentials": "race-password-\(index)"]]]).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 11)

            let bodies = client.responses.map(\.body)
            #expect(try await validateJSONAPIDocuments(bodies).isEmpty)
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
