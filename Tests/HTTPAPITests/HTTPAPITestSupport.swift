import Foundation
import HTTPAPI
import Testing
import TestSupport
import UserVaultCore

/// Every password the tests submit starts with this: no response body or log line may hold it.
let secretMarker = "pw\(UInt32.random(in: 100_000...999_999))x"

func newPassword() -> String { "\(secretMarker)-\(UUID().uuidString)" }

let jsonAPI = "application/vnd.api+json"

/// A JSON:API create document.
func userDocument(email: String, username: String? = nil, password: String = newPassword(),
                  firstname: String = "Ada", lastname: String = "Lovelace") -> [String: Any] {
    ["data": ["type": "users", "attributes": [
        "firstname": firstname, "lastname": lastname, "email": email,
        "username": username ?? "user\(UInt32.random(in: 0...UInt32.max))", "credentials": password,
    ]]]
}

/// The original service's flat create body.
func flatUser(email: String, password: String = newPassword()) -> [String: Any] {
    ["firstname": "Grace", "lastname": "Hopper", "email": email,
     "username": "grace\(UInt32.random(in: 0...UInt32.max))", "credentials": password]
}

/// Runs the real server over a fresh SQLite store; afterwards, checks every response it sent
/// with ``expectConformingResponses(_:)``.
func withUsersServer<Result>(
    configuration: UsersAPI.Configuration = .init(), logs: LogRecorder? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (LoopbackClient, UserService) async throws -> Result
) async throws -> Result {
    let (service, cleanup) = try makeTemporaryService()
    defer { cleanup() }
    let api = UsersAPI(service: service, configuration: configuration)
    return try await withLoopbackServer(api: api, logger: logs?.logger ?? quietLogger) { client in
        let result = try await body(client, service)
        try await expectConformingResponses(
            client.responses.map { ($0.status, $0.headers["content-type"], $0.body) }, sourceLocation: sourceLocation)
        return result
    }
}

/// What every response must be: a JSON:API 1.0 document (validated with the shared schema)
/// served as `application/vnd.api+json`, holding no submitted password and no `credentials`
/// (except as the name of the field a 422 is about: `source.pointer` `…/credentials`).
func expectConformingResponses(
    _ responses: [(status: Int, contentType: String?, body: Data)], sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    #expect(!responses.isEmpty, sourceLocation: sourceLocation)
    let failures = try await validateJSONAPIDocuments(responses.map(\.body))
    #expect(failures.isEmpty, "schema failures: \(failures)", sourceLocation: sourceLocation)
    for response in responses {
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(response.contentType == jsonAPI, sourceLocation: sourceLocation)
        #expect(!text.contains(secretMarker), "a password was echoed: status \(response.status)", sourceLocation: sourceLocation)
        #expect(!withoutCredentialsFieldErrors(response.body).contains("credentials"),
                "credentials in a response: \(text)", sourceLocation: sourceLocation)
    }
}

/// The body with the error objects about the `credentials` field removed.
private func withoutCredentialsFieldErrors(_ body: Data) -> String {
    guard var object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
          let errors = object["errors"] as? [[String: Any]]
    else { return String(decoding: body, as: UTF8.self) }
    object["errors"] = errors.filter { error in
        let pointer = (error["source"] as? [String: Any])?["pointer"] as? String
        return !(pointer?.hasSuffix("/credentials") ?? false)
    }
    let data = (try? JSONSerialization.data(withJSONObject: object)) ?? body
    return String(decoding: data, as: UTF8.self)
}

extension LoopbackResponse {
    /// `errors` of an error document.
    var errors: [[String: Any]] { json?["errors"] as? [[String: Any]] ?? [] }
    var errorCodes: [String] { errors.compactMap { $0["code"] as? String } }
    var errorPointers: [String] { errors.compactMap { ($0["source"] as? [String: Any])?["pointer"] as? String } }
    var errorParameters: [String] { errors.compactMap { ($0["source"] as? [String: Any])?["parameter"] as? String } }
    /// `data` of a single-resource document.
    var resource: [String: Any]? { json?["data"] as? [String: Any] }
    /// `data` of a collection document.
    var resources: [[String: Any]] { json?["data"] as? [[String: Any]] ?? [] }
    var links: [String: String] { json?["links"] as? [String: String] ?? [:] }
}

extension APIResponse {
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    var errors: [[String: Any]] { json?["errors"] as? [[String: Any]] ?? [] }
    var errorCodes: [String] { errors.compactMap { $0["code"] as? String } }
    var errorParameters: [String] { errors.compactMap { ($0["source"] as? [String: Any])?["parameter"] as? String } }
    var links: [String: String] { json?["links"] as? [String: String] ?? [:] }
}
