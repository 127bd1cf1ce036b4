import Foundation

/// API Gateway proxy events in and proxy responses out, so that a Lambda function serves the
/// same handlers as `uservault serve`: REST APIs send payload format 1.0, HTTP APIs 2.0.
///
/// ```swift
/// let (format, request) = try APIGatewayEvent.decode(eventBytes)
/// let response = await api.handle(request, logger: logger)
/// let reply = APIGatewayEvent.encode(response, as: format)
/// ```
///
/// - [REST API proxy integration](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html)
/// - [HTTP API payload format 2.0](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)
public enum APIGatewayEvent {
    public enum PayloadFormat: String, Sendable {
        /// REST API (`httpMethod`, `path`, `multiValueHeaders`, decoded query parameters).
        case v1 = "1.0"
        /// HTTP API (`version: "2.0"`, `rawPath`, `rawQueryString`, comma-joined headers, cookies).
        case v2 = "2.0"
    }

    /// The event is not an API Gateway proxy event, or not a well-formed one.
    public struct NotAnAPIEvent: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Decodes a proxy event into the request the handlers take (a base64 body decoded).
    public static func decode(_ event: Data) throws -> (format: PayloadFormat, request: APIRequest) {
        guard let object = (try? JSONSerialization.jsonObject(with: event)) as? [String: Any] else {
            throw NotAnAPIEvent(description: "the event is not a JSON object")
        }
        let body = try self.body(object)
        if object["version"] as? String == "2.0",
           let http = (object["requestContext"] as? [String: Any])?["http"] as? [String: Any],
           let method = http["method"] as? String {
            var headers: [(name: String, value: String)] = []
            for (name, value) in object["headers"] as? [String: String] ?? [:] { headers.append((name, value)) }
            if let cookies = object["cookies"] as? [String], !cookies.isEmpty {
                headers.append(("cookie", cookies.joined(separator: "; ")))
            }
            let path = object["rawPath"] as? String ?? http["path"] as? String ?? "/"
            let query = (object["rawQueryString"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            return (.v2, APIRequest(method: method, path: path, query: query, headers: headers, body: body))
        }
        if let method = object["httpMethod"] as? String, let path = object["path"] as? String {
            var headers: [(name: String, value: String)] = []
            if let multi = object["multiValueHeaders"] as? [String: [String]] {
                for (name, values) in multi { for value in values { headers.append((name, value)) } }
            } else {
                for (name, value) in object["headers"] as? [String: String] ?? [:] { headers.append((name, value)) }
            }
            return (.v1, APIRequest(method: method, path: path, query: query(v1: object), headers: headers, body: body))
        }
        throw NotAnAPIEvent(description: "the event is not an API Gateway proxy event (payload format 1.0 or 2.0)")
    }

    /// The proxy response for `format`: status, headers (repeated names as v1 `multiValueHeaders`,
    /// comma-joined in v2), and the body as text (or base64 when it is not UTF-8).
    public static func encode(_ response: APIResponse, as format: PayloadFormat) -> Data {
        var object: [String: Any] = ["statusCode": response.status]
        if let text = String(data: response.body, encoding: .utf8) {
            object["body"] = text
            object["isBase64Encoded"] = false
        } else {
            object["body"] = response.body.base64EncodedString()
            object["isBase64Encoded"] = true
        }
        var grouped: [String: [String]] = [:]
        var order: [String] = []
        for (name, value) in response.headers {
            if grouped[name] == nil { order.append(name) }
            grouped[name, default: []].append(value)
        }
        switch format {
        case .v1:
            object["multiValueHeaders"] = grouped
        case .v2:
            object["headers"] = Dictionary(uniqueKeysWithValues: order.map { ($0, grouped[$0]!.joined(separator: ", ")) })
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(#"{"statusCode":500}"#.utf8)
    }

    static func body(_ object: [String: Any]) throws -> Data? {
        guard let text = object["body"] as? String else { return nil }
        guard object["isBase64Encoded"] as? Bool == true else { return Data(text.utf8) }
        guard let data = Data(base64Encoded: text) else { throw NotAnAPIEvent(description: "isBase64Encoded, but the body is not base64") }
        return data
    }

    /// v1 hands the query over decoded: encode it again, as the handlers parse a raw query string.
    static func query(v1 object: [String: Any]) -> String? {
        var pairs: [(String, String)] = []
        if let multi = object["multiValueQueryStringParameters"] as? [String: [String]] {
            for (name, values) in multi.sorted(by: { $0.key < $1.key }) { for value in values { pairs.append((name, value)) } }
        } else if let single = object["queryStringParameters"] as? [String: String] {
            pairs = single.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        guard !pairs.isEmpty else { return nil }
        return pairs.map { "\(queryEncode($0.0))=\(queryEncode($0.1))" }.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters stay; every other byte of the UTF-8 form is `%XX`.
    static func queryEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
