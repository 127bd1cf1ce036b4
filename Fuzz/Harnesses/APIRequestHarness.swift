import Crypto
import Foundation
import HTTPAPI
import Logging
import UserVaultCore

/// The users API's whole request path (``UsersAPI``) over a real embedded store: routing,
/// content negotiation, the query (`page[size]`, `page[after]`, `filter[email]`, percent
/// encoding), the page cursor, and create-user bodies (JSON:API or flat).
///
/// Input, a request in a plain framing of this harness's own:
/// ```
/// METHOD TARGET            (the target: a path, optionally ?query)
/// Name: value              (header lines, until an empty line)
///
/// body
/// ```
/// The method `CURSOR` lists users from a cursor whose payload is the body, sealed with the
/// store's own key, so that what follows the cursor's signature check is reached too.
///
/// Checks: the API never answers 5xx; every answer is a JSON document (`data` or `openapi` for
/// a success, `errors` for a failure) with a Content-Type; a submitted password appears in no
/// answer; a user created is found at its Location with the attributes it was created with.
enum APIRequestHarness {
    static let target = FuzzTarget("api-request", "the users API's request path on an embedded store", async: check)

    static let logger = Logger(label: "uservault.fuzz") { _ in SwiftLogNoOpLogHandler() }

    static func check(_ input: [UInt8], _ workspace: FuzzWorkspace) async throws {
        let (users, secret) = try workspace.usersAPI()
        var request = Self.request(input)
        if request.method == "CURSOR" {
            let token = cursor(sealing: request.body ?? Data(), secret: secret)
            let query = "page%5Bafter%5D=\(token)" + (request.query.map { "&" + $0 } ?? "")
            request = APIRequest(method: "GET", path: "/users", query: query, headers: request.headers)
        }
        let response = await users.handle(request, logger: logger)
        try checkAnswer(response, to: request, raw: input)
        if response.status == 201 { try await checkCreated(response, users: users, request: request) }
    }

    /// Parses the harness's framing; any bytes make some request.
    static func request(_ input: [UInt8]) -> APIRequest {
        let text = input.firstRange(of: [0x0A, 0x0A]).map { input[..<$0.lowerBound] } ?? input[...]
        let body = input.firstRange(of: [0x0A, 0x0A]).map { Data(input[$0.upperBound...]) }
        var lines = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let requestLine = lines.isEmpty ? "" : lines.removeFirst()
        let parts = requestLine.split(separator: " ", maxSplits: 1)
        let method = parts.first.map(String.init) ?? "GET"
        let target = parts.count > 1 ? String(parts[1]) : "/"
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return APIRequest(method: method, path: String(path[0]), query: path.count > 1 ? String(path[1]) : nil,
                          headers: headers, body: body)
    }

    /// A cursor as ``PageCursorCodec`` seals one, around any payload.
    static func cursor(sealing payload: Data, secret: Data) -> String {
        let mac = Data(HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: secret))).prefix(16)
        return Base64URL.encode(payload) + "." + Base64URL.encode(mac)
    }

    static func checkAnswer(_ response: APIResponse, to request: APIRequest, raw: [UInt8]) throws {
        guard response.status < 500 else {
            throw InvariantViolation("\(request.method) \(request.path) answered \(response.status): "
                                     + String(decoding: response.body, as: UTF8.self))
        }
        guard response.header("Content-Type") != nil else { throw InvariantViolation("an answer without a Content-Type") }
        guard let document = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] else {
            throw InvariantViolation("answer \(response.status) is not a JSON object")
        }
        let expected = response.status >= 400 ? ["errors"] : ["data", "openapi"]
        guard expected.contains(where: { document[$0] != nil }) else {
            throw InvariantViolation("answer \(response.status) has none of \(expected)")
        }
        if let password = submittedPassword(request), isOnlyThePassword(password, in: raw) {
            let answer = String(decoding: response.body, as: UTF8.self) + response.headers.map { $0.name + $0.value }.joined()
            let escaped = (try? JSONSerialization.data(withJSONObject: [password])).map { String(decoding: $0.dropFirst(2).dropLast(2), as: UTF8.self) }
            if answer.contains(password) || escaped.map(answer.contains) == true {
                throw InvariantViolation("answer \(response.status) shows the submitted password")
            }
        }
    }

    /// The `credentials` of a create-user body, when it is a string of 8 bytes or more.
    static func submittedPassword(_ request: APIRequest) -> String? {
        guard let body = request.body, let top = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else { return nil }
        let attributes = ((top["data"] as? [String: Any])?["attributes"] as? [String: Any]) ?? top
        guard let password = attributes["credentials"] as? String, password.utf8.count >= 8 else { return nil }
        return password
    }

    /// Whether the password's bytes stand in the request only once (else another field may show them).
    static func isOnlyThePassword(_ password: String, in raw: [UInt8]) -> Bool {
        let bytes = Array(password.utf8)
        guard let first = raw.firstRange(of: bytes) else { return false }
        return raw[first.upperBound...].firstRange(of: bytes) == nil
            && !password.contains("\\") && !password.contains("\"")
    }

    /// `GET` the new user's Location: the same attributes, no password.
    static func checkCreated(_ response: APIResponse, users: UsersAPI, request: APIRequest) async throws {
        guard let location = response.header("Location"),
              let created = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        else { throw InvariantViolation("201 without a Location or a document") }
        let fetched = await users.handle(APIRequest(method: "GET", path: location), logger: logger)
        guard fetched.status == 200, let document = (try? JSONSerialization.jsonObject(with: fetched.body)) as? [String: Any] else {
            throw InvariantViolation("the user created at \(location) answers \(fetched.status)")
        }
        let attributes = { (document: [String: Any]) in ((document["data"] as? [String: Any])?["attributes"] as? [String: Any]) ?? [:] }
        guard NSDictionary(dictionary: attributes(created)).isEqual(to: attributes(document)) else {
            throw InvariantViolation("the user at \(location) differs from the one created")
        }
        if attributes(document)["credentials"] != nil { throw InvariantViolation("a user document holds credentials") }
    }
}
