import Foundation
import HTTPAPI
import Testing
import TestSupport
import UserVaultCore

@Suite("GET /users")
struct ListUsersTests {
    /// Creates `count` users through the API, a few at a time; returns their ids.
    private func createUsers(_ count: Int, client: LoopbackClient) async throws -> Set<String> {
        var ids: Set<String> = []
        for batch in stride(from: 0, to: count, by: 6) {
            try await withThrowingTaskGroup(of: String?.self) { group in
                for index in batch..<min(batch + 6, count) {
                    group.addTask {
                        let response = try await client.send(
                            "POST", "/users", json: userDocument(email: "user\(index)@example.com", username: "user\(index)"))
                        return response.status == 201 ? response.resource?["id"] as? String : nil
                    }
                }
                for try await id in group { if let id { ids.insert(id) } }
            }
        }
        return ids
    }

    @Test("pages of 7 through 60 users by links.next: complete, no duplicates, last page without next")
    func pagesThroughEveryone() async throws {
        try await withUsersServer { client, _ in
            let created = try await createUsers(60, client: client)
            #expect(created.count == 60)

            var seen: [String] = []
            var target: String? = "/users?page%5Bsize%5D=7"
            var pages = 0
            while let next = target, pages < 20 {
                let page = try await client.send("GET", next, headers: [("Accept", jsonAPI)])
                #expect(page.status == 200)
                #expect(page.links["self"] == next)
                #expect(page.resources.count <= 7)
                #expect((page.json?["meta"] as? [String: Int])?["count"] == page.resources.count)
                seen += page.resources.compactMap { $0["id"] as? String }
                #expect(page.resources.allSatisfy { ($0["attributes"] as? [String: Any])?["credentials"] == nil })
                target = page.links["next"]
                if let link = target {
                    #expect(link.hasPrefix("/users?page%5Bsize%5D=7&page%5Bafter%5D="))
                }
                pages += 1
            }
            #expect(pages == 9)
            #expect(seen.count == 60)
            #expect(Set(seen) == created)
        }
    }

    @Test("filter[email] matches in any letter case, and its links keep the filter")
    func filterByEmail() async throws {
        try await withUsersServer { client, _ in
            let created = try await client.send(
                "POST", "/users", json: userDocument(email: "Grace.Hopper+Navy@Example.org"))
            let id = try #require(created.resource?["id"] as? String)
            _ = try await client.send("POST", "/users", json: userDocument(email: "someone.else@example.org"))

            let query = "/users?filter%5Bemail%5D=GRACE.HOPPER%2BNAVY%40EXAMPLE.ORG"
            let found = try await client.send("GET", query)
            #expect(found.status == 200)
            #expect(found.resources.compactMap { $0["id"] as? String } == [id])
            #expect(found.links["self"] == query)
            #expect(found.links["next"] == nil)

            let none = try await client.send("GET", "/users?filter%5Bemail%5D=nobody%40example.org")
            #expect(none.status == 200)
            #expect(none.resources.isEmpty)
        }
    }

    @Test("a tampered cursor is a 400 with source.parameter page[after]")
    func tamperedCursor() async throws {
        try await withUsersServer { client, _ in
            _ = try await createUsers(3, client: client)
            let first = try await client.send("GET", "/users?page%5Bsize%5D=1")
            let next = try #require(first.links["next"])
            #expect(try await client.send("GET", next).status == 200)

            let cursorStart = try #require(next.range(of: "page%5Bafter%5D=")).upperBound
            let cursor = String(next[cursorStart...])
            // Change one character of the signed payload.
            let forged = (cursor.first == "e" ? "f" : "e") + cursor.dropFirst()
            #expect(forged != cursor)
            let tampered = try await client.send("GET", "/users?page%5Bsize%5D=1&page%5Bafter%5D=\(forged)")
            #expect(tampered.status == 400)
            #expect(tampered.errorParameters == ["page[after]"])
            #expect(tampered.errorCodes == ["INVALID_CURSOR"])

            let garbage = try await client.send("GET", "/users?page%5Bafter%5D=not-a-cursor")
            #expect(garbage.status == 400)
            #expect(garbage.errorParameters == ["page[after]"])

            // A cursor is only valid with the filter it was made for.
            let withFilter = try await client.send("GET", "\(next)&filter%5Bemail%5D=user0%40example.com")
            #expect(withFilter.status == 400)
            #expect(withFilter.errorParameters == ["page[after]"])
        }
    }

    @Test("page[size] outside 1...100 or not an integer is a 400", arguments: ["0", "101", "abc", "-1", "7.5", ""])
    func invalidPageSize(size: String) async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send("GET", "/users?page%5Bsize%5D=\(size)")
            #expect(response.status == 400)
            #expect(response.errorParameters == ["page[size]"])
            #expect(response.errorCodes == ["INVALID_PAGE_SIZE"])
        }
    }

    @Test("unknown page/filter members and reserved names are a 400 naming the parameter",
          arguments: [("page%5Bnumber%5D=2", "page[number]"), ("filter%5Bname%5D=ada", "filter[name]"),
                      ("sort=email", "sort"), ("page%5Bsize%5D=2&page%5Bsize%5D=3", "page[size]")])
    func unknownParameters(query: String, parameter: String) async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send("GET", "/users?\(query)")
            #expect(response.status == 400)
            #expect(response.errorParameters == [parameter])
        }
    }

    @Test("implementation-specific parameters (not all a-z) are ignored; a trailing slash is tolerated")
    func ignoredParameters() async throws {
        try await withUsersServer { client, _ async throws in
            #expect(try await client.send("GET", "/users?_=123&cacheBust=1").status == 200)
            #expect(try await client.send("GET", "/users/").status == 200)
        }
    }
}
