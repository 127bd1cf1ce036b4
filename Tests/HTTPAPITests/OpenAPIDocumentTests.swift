import Foundation
import HTTPAPI
import Testing
import TestSupport

/// `openapi.yaml` itself, and `GET /openapi.json` as the handlers answer it (serve and Lambda:
/// OpenAPIContractTests in UserVaultCLITests).
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    @Test("openapi-spec-validator accepts openapi.yaml as OpenAPI 3.1")
    func specValidates() async throws {
        let problems = try await openAPISpecProblems()
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("GET /openapi.json is openapi.yaml as application/json, whatever the Accept, query, trailing slash or stage prefix")
    func servedDocument() async throws {
        let (service, cleanup) = try makeTemporaryService()
        defer { cleanup() }
        let api = UsersAPI(service: service, configuration: .init(basePath: "/prod"))
        let requests = [
            APIRequest(method: "GET", path: "/openapi.json"),
            // An Accept that /users refuses with 406: the OpenAPI document is not JSON:API.
            APIRequest(method: "GET", path: "/openapi.json", query: "x=1", headers: [("Accept", "\(jsonAPI); ext=\"a\"")]),
            APIRequest(method: "get", path: "/prod/openapi.json/"),
        ]
        var bodies: [Data] = []
        for request in requests {
            let response = await api.handle(request, logger: quietLogger)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            bodies.append(response.body)
        }
        let differences = try await openAPIDocumentDifferences(bodies)
        #expect(differences.isEmpty, "\(differences)")
        // The check itself: a document that is not openapi.yaml is told apart.
        let other = try await openAPIDocumentDifferences([Data(#"{"openapi":"3.1.0"}"#.utf8)])
        #expect(other.count == 1)
    }

    @Test("GET /openapi.json answers other methods 405 with Allow: GET; /openapi.json/x is a 404",
          arguments: ["POST", "PUT", "DELETE", "PATCH"])
    func otherMethods(method: String) async throws {
        let (service, cleanup) = try makeTemporaryService()
        defer { cleanup() }
        let api = UsersAPI(service: service)
        let refused = await api.handle(APIRequest(method: method, path: "/openapi.json"), logger: quietLogger)
        #expect(refused.status == 405)
        #expect(refused.header("Allow") == "GET")
        let unknown = await api.handle(APIRequest(method: "GET", path: "/openapi.json/x"), logger: quietLogger)
        #expect(unknown.status == 404)
        try await expectConformingResponses([
            (refused.status, refused.header("Content-Type"), refused.body),
            (unknown.status, unknown.header("Content-Type"), unknown.body),
        ])
    }

    @Test("every response example matches its schema in the document, and the JSON:API ones the JSON:API 1.0 schema")
    func examples() async throws {
        let (failures, documents) = try await openAPIResponseExamples()
        #expect(failures.isEmpty, "\(failures)")
        // Every status of every operation has one: 201, 200, 400–415, 422, 500, 503.
        #expect(documents.count >= 25, "\(documents.map(\.where))")
        let invalid = try await validateJSONAPIDocuments(documents.map(\.document))
        #expect(invalid.isEmpty, "\(invalid) (documents in order: \(documents.map(\.where)))")
    }
}
