import Foundation

/// Parses a create-user body: a JSON:API resource document
/// (`{"data": {"type": "users", "attributes": {…}}}`) or the original service's flat
/// `{firstname, lastname, email, username, credentials}`.
public enum CreateUserRequest {
    /// Why a body was refused, with the JSON pointer of the culprit. Never holds a value.
    public struct Problem: Error, Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            /// Not JSON at all → 400.
            case malformed
            /// JSON, but not a resource document of the right shape → 400.
            case invalidDocument
            /// `data.type` is not `users` → 409 (JSON:API 1.0 §Creating Resources).
            case typeConflict
            /// A client-generated id → 403 (unsupported).
            case clientGeneratedId
            /// A field of the wrong JSON type, unknown, or failing validation → 422.
            case invalidAttribute(code: String)
        }

        public var kind: Kind
        public var pointer: String?
        public var detail: String
    }

    static let attributeNames: Set<String> = ["firstname", "lastname", "email", "username", "credentials"]

    public static func parse(_ body: Data) -> Result<(input: NewUserInput, pointerPrefix: String), Problem> {
        guard let object = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return .failure(Problem(kind: .malformed, pointer: nil, detail: "the request body is not valid JSON"))
        }
        guard let top = object as? [String: Any] else {
            return .failure(Problem(kind: .invalidDocument, pointer: "", detail: "the request body must be a JSON object"))
        }
        guard top["data"] != nil else {
            // The original service's flat body.
            if top.keys.contains(where: attributeNames.contains) {
                return attributes(top, pointerPrefix: "").map { ($0, "") }
            }
            return .failure(Problem(kind: .invalidDocument, pointer: "", detail: "a JSON:API document needs a top-level 'data' member"))
        }
        guard let data = top["data"] as? [String: Any] else {
            return .failure(Problem(kind: .invalidDocument, pointer: "/data", detail: "'data' must be a resource object"))
        }
        guard let type = data["type"] as? String else {
            return .failure(Problem(kind: .invalidDocument, pointer: "/data/type", detail: "'data.type' is required and must be a string"))
        }
        guard type == userItemType else {
            return .failure(Problem(kind: .typeConflict, pointer: "/data/type", detail: "this collection holds resources of type 'users'"))
        }
        if data["id"] != nil {
            return .failure(Problem(kind: .clientGeneratedId, pointer: "/data/id", detail: "client-generated ids are not supported"))
        }
        let raw = data["attributes"] ?? [String: Any]()
        guard let attributes = raw as? [String: Any] else {
            return .failure(Problem(kind: .invalidDocument, pointer: "/data/attributes", detail: "'data.attributes' must be an object"))
        }
        return Self.attributes(attributes, pointerPrefix: "/data/attributes").map { ($0, "/data/attributes") }
    }

    private static func attributes(_ object: [String: Any], pointerPrefix: String) -> Result<NewUserInput, Problem> {
        if let unknown = object.keys.sorted().first(where: { !attributeNames.contains($0) }) {
            let escaped = unknown.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            let shown = unknown.count <= 40 ? "'\(unknown)'" : "this attribute"
            return .failure(Problem(kind: .invalidAttribute(code: "UNKNOWN_ATTRIBUTE"), pointer: "\(pointerPrefix)/\(escaped)",
                                    detail: "\(shown) is not a user attribute"))
        }
        var values: [String: String] = [:]
        for name in attributeNames.sorted() {
            guard let value = object[name], !(value is NSNull) else { continue }
            guard let string = value as? String, CFGetTypeIDIfString(value) else {
                return .failure(Problem(kind: .invalidAttribute(code: "INVALID_TYPE"), pointer: "\(pointerPrefix)/\(name)",
                                        detail: "\(name) must be a string"))
            }
            values[name] = string
        }
        return .success(NewUserInput(
            firstname: values["firstname"], lastname: values["lastname"], email: values["email"],
            username: values["username"], credentials: values["credentials"]))
    }

    /// JSONSerialization bridges numbers to NSNumber, which never casts to String; strings pass.
    private static func CFGetTypeIDIfString(_ value: Any) -> Bool { !(value is NSNumber) }
}
