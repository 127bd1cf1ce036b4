import Foundation
import HTTPAPI
import Testing
import TestSupport

@Suite("GET /users/{id}")
struct GetUserTests {
    @Test("a user by id is a 200; with a trailing slash too")
    func getsUser() async throws {
        try await withUsersServer { client, _ in
            let created = try await client.send("POST", "/users", json: userDocument(email: "get@example.com"))
            let id = try #require(created.resource?["id"] as? String)
            for target in ["/users/\(id)", "/users/\(id)/"] {
                let fetched = try await client.send("GET", target, headers: [("Accept", jsonAPI)])
                #expect(fetched.status == 200)
                #expect(fetched.resource?["id"] as? String == id)
                #expect(fetched.resource?["type"] as? String == "users")
                #expect((fetched.resource?["attributes"] as? [String: Any])?["email"] as? String == "get@example.com")
                #expect(fetched.links["self"] == "/users/\(id)")
            }
        }
    }

    @Test("an unknown id is a 404 USER_NOT_FOUND", arguments: [UUID().uuidString.lowercased(), "not-a-uuid", "%E2%9C%93"])
    func unknownUser(id: String) async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send("GET", "/users/\(id)")
            #expect(response.status == 404)
            #expect(response.errorCodes == ["USER_NOT_FOUND"])
        }
    }
}
