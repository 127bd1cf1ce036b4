import Foundation
import HTTPAPI
import Testing
import TestSupport
import UserVaultCore

/// ``UsersAPI/handle(_:logger:)`` called directly, as the Lambda adapter will: the cases a
/// URL client cannot send as is (raw brackets, no Content-Type) and backend failures.
@Suite("UsersAPI.handle")
struct UsersAPITests {
    private func withAPI<Result>(
        configuration: UsersAPI.Configuration = .init(), _ body: (UsersAPI) async throws -> Result
    ) async throws -> Result {
        let (service, cleanup) = try makeTemporaryService()
        defer { cleanup() }
        return try await body(UsersAPI(service: service, configuration: configuration))
    }

    private func post(_ api: UsersAPI, _ object: [String: Any], headers: [(name: String, value: String)] = [],
                      logger: LogRecorder? = nil) async throws -> APIResponse {
        let body = try JSONSerialization.data(withJSONObject: object)
        return await api.handle(
            APIRequest(method: "POST", path: "/users", headers: headers, body: body), logger: logger?.logger ?? quietLogger)
    }

    @Test("query names arrive raw or percent-encoded; next links are percent-encoded")
    func rawAndEncodedBrackets() async throws {
        try await withAPI { api in
            for index in 0..<3 {
                #expect(try await post(api, userDocument(email: "b\(index)@example.com")).status == 201)
            }
            var documents: [APIResponse] = []
            for query in ["page[size]=2", "page%5Bsize%5D=2", "page%5bsize%5d=2"] {
                let response = await api.handle(APIRequest(method: "GET", path: "/users", query: query), logger: quietLogger)
                documents.append(response)
                #expect(response.status == 200)
                #expect((response.json?["data"] as? [Any])?.count == 2)
                #expect(response.links["self"] == "/users?page%5Bsize%5D=2")
                let next = try #require(response.links["next"])
                #expect(next.hasPrefix("/users?page%5Bsize%5D=2&page%5Bafter%5D="))
            }
            let rawFilter = await api.handle(
                APIRequest(method: "GET", path: "/users", query: "filter[email]=B1@Example.com"), logger: quietLogger)
            #expect((rawFilter.json?["data"] as? [Any])?.count == 1)
            #expect(rawFilter.links["self"] == "/users?filter%5Bemail%5D=B1%40Example.com")
            documents.append(rawFilter)
            try await expectConformingResponses(documents.map { ($0.status, $0.header("Content-Type"), $0.body) })
        }
    }

    @Test("a body without Content-Type is read as JSON")
    func noContentType() async throws {
        try await withAPI { api in
            let response = try await post(api, flatUser(email: "noct@example.com"))
            #expect(response.status == 201)
            try await expectConformingResponses([(response.status, response.header("Content-Type"), response.body)])
        }
    }

    @Test("basePath prefixes Location and every link, and is stripped from incoming paths")
    func basePath() async throws {
        try await withAPI(configuration: .init(basePath: "/prod")) { api in
            let created = try await post(api, userDocument(email: "base@example.com"))
            #expect(created.status == 201)
            let location = try #require(created.header("Location"))
            #expect(location.hasPrefix("/prod/users/"))
            let fetched = await api.handle(APIRequest(method: "GET", path: location), logger: quietLogger)
            #expect(fetched.status == 200)
            let listed = await api.handle(
                APIRequest(method: "GET", path: "/users", query: "page%5Bsize%5D=1"), logger: quietLogger)
            #expect(listed.links["self"] == "/prod/users?page%5Bsize%5D=1")
            try await expectConformingResponses([created, fetched, listed].map { ($0.status, $0.header("Content-Type"), $0.body) })
        }
    }

    @Test("maxBodyBytes is configurable")
    func smallBodyLimit() async throws {
        try await withAPI(configuration: .init(maxBodyBytes: 64)) { api in
            let response = try await post(api, userDocument(email: "big@example.com"))
            #expect(response.status == 413)
        }
    }

    @Test("a throttled backend is a 503 with Retry-After: 1")
    func throttled() async throws {
        let (real, cleanup) = try makeTemporaryService()
        defer { cleanup() }
        let service = UserService(table: FailingUserTable(error: .throttled()), keys: real.keys, cursors: real.cursors)
        let api = UsersAPI(service: service)
        let listed = await api.handle(APIRequest(method: "GET", path: "/users"), logger: quietLogger)
        let created = try await post(api, userDocument(email: "busy@example.com"))
        for response in [listed, created] {
            #expect(response.status == 503)
            #expect(response.header("Retry-After") == "1")
            #expect(response.errorCodes == ["THROTTLED"])
        }
        try await expectConformingResponses([listed, created].map { ($0.status, $0.header("Content-Type"), $0.body) })
    }

    @Test("any other backend failure is a 500 with a generic detail; the log names it, never the password")
    func internalError() async throws {
        let (real, cleanup) = try makeTemporaryService()
        defer { cleanup() }
        let failure = UserTableError.unavailable("disk on fire")
        let service = UserService(table: FailingUserTable(error: failure), keys: real.keys, cursors: real.cursors)
        let api = UsersAPI(service: service)
        let logs = LogRecorder()
        let response = try await post(api, userDocument(email: "fire@example.com"), logger: logs)
        #expect(response.status == 500)
        #expect(response.errorCodes == ["INTERNAL_ERROR"])
        #expect(!String(decoding: response.body, as: UTF8.self).contains("disk on fire"))
        #expect(logs.entries.contains { $0.level == "error" && $0.rendered.contains("disk on fire") })
        #expect(!logs.entries.contains { $0.rendered.contains(secretMarker) })
        try await expectConformingResponses([(response.status, response.header("Content-Type"), response.body)])
    }
}
