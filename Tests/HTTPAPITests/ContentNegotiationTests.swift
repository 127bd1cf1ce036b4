import Foundation
import HTTPAPI
import Testing
import TestSupport

@Suite("JSON:API content negotiation")
struct ContentNegotiationTests {
    @Test("Content-Type application/vnd.api+json with media type parameters is a 415",
          arguments: ["application/vnd.api+json; charset=utf-8", "application/vnd.api+json;ext=foo",
                      "text/plain", "application/x-www-form-urlencoded"])
    func unsupportedMediaType(contentType: String) async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send(
                "POST", "/users", json: userDocument(email: "cn@example.com"), headers: [("Content-Type", contentType)])
            #expect(response.status == 415)
            #expect(response.errorCodes == ["UNSUPPORTED_MEDIA_TYPE"])
        }
    }

    @Test("application/vnd.api+json and application/json bodies are accepted",
          arguments: ["application/vnd.api+json", "application/json", "application/json; charset=utf-8"])
    func supportedMediaType(contentType: String) async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send(
                "POST", "/users", json: userDocument(email: "cn@example.com"), headers: [("Content-Type", contentType)])
            #expect(response.status == 201)
        }
    }

    @Test("Accept naming application/vnd.api+json only with parameters is a 406",
          arguments: ["application/vnd.api+json; ext=foo", "application/vnd.api+json;ext=foo, application/vnd.api+json;profile=x",
                      "application/vnd.api+json; ext=foo, application/json"])
    func notAcceptable(accept: String) async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send("GET", "/users", headers: [("Accept", accept)])
            #expect(response.status == 406)
            #expect(response.errorCodes == ["NOT_ACCEPTABLE"])
        }
    }

    @Test("Accept with a plain application/vnd.api+json, */* or application/json is fine",
          arguments: ["application/vnd.api+json", "application/vnd.api+json; ext=foo, application/vnd.api+json",
                      "*/*", "application/json", "application/vnd.api+json; q=0.9, */*; q=0.1", "text/html, */*"])
    func acceptable(accept: String) async throws {
        try await withUsersServer { client, _ in
            let response = try await client.send("GET", "/users", headers: [("Accept", accept)])
            #expect(response.status == 200)
        }
    }
}
