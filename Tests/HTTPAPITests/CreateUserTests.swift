import Foundation
import HTTPAPI
import Testing
import TestSupport
import UserVaultCore

@Suite("POST /users")
struct CreateUserTests {
    @Test("a JSON:API document creates a user: 201, Location, the resource without credentials")
    func createsFromResourceDocument() async throws {
        try await withUsersServer { client, _ in
            let created = try await client.send(
                "POST", "/users", json: userDocument(email: "Ada.Lovelace@Example.COM", username: "ada"))
            #expect(created.status == 201)
            let resource = try #require(created.resource)
            let id = try #require(resource["id"] as? String)
            #expect(resource["type"] as? String == "users")
            #expect(created.header("Location") == "/users/\(id)")
            #expect(created.links["self"] == "/users/\(id)")
            let attributes = try #require(resource["attributes"] as? [String: Any])
            #expect(attributes["email"] as? String == "ada.lovelace@example.com")
            #expect(attributes["username"] as? String == "ada")
            #expect(attributes["createdAt"] is String)
            #expect(Set(attributes.keys) == ["firstname", "lastname", "email", "username", "createdAt"])

            let fetched = try await client.send("GET", try #require(created.header("Location")))
            #expect(fetched.status == 200)
            #expect(fetched.resource?["id"] as? String == id)
        }
    }

    @Test("the original service's flat body (application/json) still creates a user")
    func createsFromFlatBody() async throws {
        try await withUsersServer { client, _ in
            let created = try await client.send(
                "POST", "/users", json: flatUser(email: "grace@example.org"),
                headers: [("Content-Type", "application/json")])
            #expect(created.status == 201)
            let id = try #require(created.resource?["id"] as? String)
            #expect(created.header("Location") == "/users/\(id)")
            #expect((created.resource?["attributes"] as? [String: Any])?["email"] as? String == "grace@example.org")
        }
    }

    @Test("malformed JSON is a 400")
    func malformedJSON() async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send(
                "POST", "/users", headers: [("Content-Type", jsonAPI)],
                body: Data(#"{"data": {"type": "users", "attributes": {"credentials": "\#(newPassword())""#.utf8))
            #expect(response.status == 400)
            #expect(response.errorCodes == ["MALFORMED_JSON"])
        }
    }

    @Test("an invalid email is a 422 pointing at /data/attributes/email")
    func validationOfResourceDocument() async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send("POST", "/users", json: userDocument(email: "not-an-email"))
            #expect(response.status == 422)
            #expect(response.errorPointers == ["/data/attributes/email"])
            #expect(response.errorCodes == ["INVALID_EMAIL"])
            #expect(response.errors.first?["status"] as? String == "422")
            #expect(response.errors.first?["title"] is String)
            #expect(response.errors.first?["detail"] is String)
        }
    }

    @Test("an invalid email in a flat body is a 422 pointing at /email")
    func validationOfFlatBody() async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send(
                "POST", "/users", json: flatUser(email: "nobody@"), headers: [("Content-Type", "application/json")])
            #expect(response.status == 422)
            #expect(response.errorPointers == ["/email"])
        }
    }

    @Test("every failing field gets its own error object; the password is never echoed")
    func everyViolation() async throws {
        try await withUsersServer { client, _ in
            let body: [String: Any] = ["data": ["type": "users", "attributes": [
                "email": "bad", "username": "x", "credentials": newPassword() + String(repeating: "x", count: 1100),
            ]]]
            let response = try await client.send("POST", "/users", json: body)
            #expect(response.status == 422)
            #expect(Set(response.errorPointers) == [
                "/data/attributes/firstname", "/data/attributes/lastname", "/data/attributes/email",
                "/data/attributes/username", "/data/attributes/credentials",
            ])
            #expect(response.errors.allSatisfy { $0["status"] as? String == "422" })
        }
    }

    @Test("a known email in another letter case is a 409 DUPLICATE_EMAIL")
    func duplicateEmail() async throws {
        try await withUsersServer { client, _ in
            #expect(try await client.send("POST", "/users", json: userDocument(email: "twin@example.com")).status == 201)
            let again = try await client.send("POST", "/users", json: userDocument(email: "TWIN@Example.com"))
            #expect(again.status == 409)
            #expect(again.errorCodes == ["DUPLICATE_EMAIL"])
            #expect(again.errorPointers == ["/data/attributes/email"])
            let flat = try await client.send(
                "POST", "/users", json: flatUser(email: "Twin@example.com"), headers: [("Content-Type", "application/json")])
            #expect(flat.status == 409)
            #expect(flat.errorPointers == ["/email"])
        }
    }

    @Test("12 concurrent creates with one email in mixed case: exactly one 201, eleven 409")
    func concurrentDuplicates() async throws {
        try await withUsersServer { client, _ in
            let spellings = ["race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM"]
            let statuses = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
                for index in 0..<12 {
                    group.addTask {
                        let response = try await client.send(
                            "POST", "/users", json: userDocument(email: spellings[index % spellings.count]))
                        return (response.status, response.errorCodes)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 201 }.count == 1)
            #expect(statuses.filter { $0.0 == 409 }.count == 11)
            #expect(statuses.filter { $0.0 == 409 }.allSatisfy { $0.1 == ["DUPLICATE_EMAIL"] })

            let listed = try await client.send("GET", "/users?filter%5Bemail%5D=race%40example.com")
            #expect(listed.resources.count == 1)
        }
    }

    @Test("a body over maxBodyBytes (2 MiB) is a 413")
    func oversizedBody() async throws {
        try await withUsersServer { client, _ in
            var body = Data(#"{"data": {"type": "users", "attributes": {"firstname": ""#.utf8)
            body.append(Data(repeating: UInt8(ascii: "a"), count: 2 * 1_048_576))
            body.append(Data(#""}}}"#.utf8))
            let response = try await client.send("POST", "/users", headers: [("Content-Type", jsonAPI)], body: body)
            #expect(response.status == 413)
            #expect(response.errorCodes == ["PAYLOAD_TOO_LARGE"])
            // Sent without Content-Length, it is read up to the limit and refused all the same.
            // On a connection of its own: a kept-alive one may have been closed meanwhile, and a
            // stream body cannot be rewound to be sent again on another.
            let fresh = LoopbackClient(port: client.port)
            defer { fresh.invalidate() }
            let streamed = try await fresh.send(
                "POST", "/users", headers: [("Content-Type", jsonAPI)], body: body, streaming: true)
            #expect(streamed.status == 413, "\(streamed.text.prefix(300))")
            #expect(streamed.errorCodes == ["PAYLOAD_TOO_LARGE"])
            // The server keeps serving.
            #expect(try await client.send("GET", "/users").status == 200)
        }
    }

    @Test("JSON:API document problems: wrong type 409, client id 403, unknown or mistyped attribute 422, no data 400")
    func documentProblems() async throws {
        try await withUsersServer { client, _ in
            var wrongType = userDocument(email: "t@example.com")
            var data = wrongType["data"] as! [String: Any]
            data["type"] = "people"
            wrongType["data"] = data
            let conflict = try await client.send("POST", "/users", json: wrongType)
            #expect(conflict.status == 409)
            #expect(conflict.errorPointers == ["/data/type"])

            var withId = userDocument(email: "t@example.com")
            data = withId["data"] as! [String: Any]
            data["id"] = UUID().uuidString.lowercased()
            withId["data"] = data
            let forbidden = try await client.send("POST", "/users", json: withId)
            #expect(forbidden.status == 403)
            #expect(forbidden.errorPointers == ["/data/id"])

            let unknown = try await client.send("POST", "/users", json: ["data": ["type": "users", "attributes": ["role": "admin"]]])
            #expect(unknown.status == 422)
            #expect(unknown.errorPointers == ["/data/attributes/role"])

            let mistyped = try await client.send("POST", "/users", json: ["data": ["type": "users", "attributes": ["email": 42]]])
            #expect(mistyped.status == 422)
            #expect(mistyped.errorPointers == ["/data/attributes/email"])

            let noData = try await client.send("POST", "/users", json: ["meta": ["x": 1]])
            #expect(noData.status == 400)
        }
    }

    @Test("one access log line per request, with a request id; no password in any log line")
    func accessLog() async throws {
        let logs = LogRecorder()
        let password = newPassword()
        try await withUsersServer(logs: logs) { client, _ async throws in
            #expect(try await client.send("POST", "/users", json: userDocument(email: "log@example.com", password: password)).status == 201)
            #expect(try await client.send("POST", "/users", json: userDocument(email: "LOG@example.com", password: password)).status == 409)
            #expect(try await client.send("GET", "/users?page%5Bsize%5D=5").status == 200)
        }
        let access = logs.entries.filter { $0.message == "request" }
        #expect(access.count == 3)
        #expect(access.map { $0.metadata["status"] } == ["201", "409", "200"])
        #expect(access.map { $0.metadata["method"] } == ["POST", "POST", "GET"])
        #expect(access.map { $0.metadata["path"] } == ["/users", "/users", "/users"])
        #expect(access.allSatisfy { $0.level == "info" && $0.metadata["requestId"] != nil && $0.metadata["ms"] != nil })
        #expect(Set(access.compactMap { $0.metadata["requestId"] }).count == 3)
        #expect(!logs.entries.contains { $0.rendered.contains(secretMarker) })
    }
}
