import Foundation
import HTTPAPI
import Testing
import TestSupport

@Suite("Routing")
struct RoutingTests {
    @Test("a known path with another method is a 405 with Allow",
          arguments: [("DELETE", "/users", "GET, POST"), ("PUT", "/users/", "GET, POST"),
                      ("PATCH", "/users/6f1c2b1e-8d4a-4b8e-9c3f-0a1b2c3d4e5f", "GET"),
                      ("POST", "/users/6f1c2b1e-8d4a-4b8e-9c3f-0a1b2c3d4e5f", "GET")])
    func methodNotAllowed(method: String, target: String, allow: String) async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send(method, target)
            #expect(response.status == 405)
            #expect(response.header("Allow") == allow)
            #expect(response.errorCodes == ["METHOD_NOT_ALLOWED"])
        }
    }

    @Test("an unknown route is a 404", arguments: ["/nope", "/", "/users/a/b", "/userss", "/api/users"])
    func unknownRoute(target: String) async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send("GET", target)
            #expect(response.status == 404)
            #expect(response.errorCodes == ["NOT_FOUND"])
        }
    }
}
