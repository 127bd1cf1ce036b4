import Foundation
import Hummingbird
import Logging
import UserVaultCore

/// The Hummingbird responder behind ``APIServer``: converts each request to an
/// ``APIRequest``, calls ``UsersAPI/handle(_:logger:)`` and writes the ``APIResponse`` back.
struct APIResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let deferred: DeferredUsersAPI
    let logger: Logger
    /// Request metrics, and `GET /metrics`; `nil`: neither.
    var metrics: APIMetrics?

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let (apiResponse, route) = try await answer(request)
        metrics?.record(method: request.method.rawValue, route: route, status: apiResponse.status, duration: started.duration(to: .now))
        return Self.response(apiResponse)
    }

    /// The answer, and the route template it is counted under.
    private func answer(_ request: Request) async throws -> (APIResponse, route: String) {
        let path = request.uri.path
        if let metrics, path == APIMetrics.path { return (metrics.response(method: request.method.rawValue), APIMetrics.path) }
        guard let api = deferred.current else { return (APIProblem.starting.response, "unmatched") }
        // The template costs a second routing of the path: only when it is counted.
        return (try await handle(request, api: api), metrics == nil ? "" : api.routeTemplate(path))
    }

    /// The API's answer, with its access log line.
    private func handle(_ request: Request, api: UsersAPI) async throws -> APIResponse {
        let started = ContinuousClock.now
        var logger = logger
        logger[metadataKey: "requestId"] = "\(RequestID())"
        let path = request.uri.path
        let method = request.method.rawValue

        // A body declared too large is not read at all (nor is `100 Continue` sent for it).
        let limit = api.configuration.maxBodyBytes
        let declaredLength = request.headers[.contentLength].flatMap { Int($0) }
        let body = declaredLength.map { $0 > limit } == true ? Data() : try await Self.collect(request.body, limit: limit)
        let apiRequest = APIRequest(
            method: method, path: path, query: request.uri.query,
            headers: request.headers.map { (name: $0.name.rawName, value: $0.value) },
            body: body.isEmpty ? nil : body)
        let apiResponse = await api.handle(apiRequest, declaredBodyLength: declaredLength, logger: logger)

        let elapsed = started.duration(to: .now)
        let milliseconds = elapsed.inSeconds * 1000
        logger.info("request", metadata: [
            "method": "\(method)",
            "path": "\(path.prefix(256))",
            "status": "\(apiResponse.status)",
            "ms": "\((milliseconds * 10).rounded() / 10)",
        ])
        return apiResponse
    }

    /// The Hummingbird response for an ``APIResponse``.
    private static func response(_ apiResponse: APIResponse) -> Response {
        var headers = HTTPFields()
        for header in apiResponse.headers {
            guard let name = HTTPFields.fieldName(header.name) else { continue }
            headers.append(.init(name: name, value: header.value))
        }
        return Response(
            status: .init(code: apiResponse.status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: apiResponse.body)))
    }

    /// Reads at most `limit + 1` bytes: enough to tell an oversized body (413) without
    /// buffering it; the server discards the rest.
    private static func collect(_ body: RequestBody, limit: Int) async throws -> Data {
        var data = Data()
        for try await buffer in body {
            data.append(contentsOf: buffer.readableBytesView.prefix(limit + 1 - data.count))
            if data.count > limit { break }
        }
        return data
    }
}

extension HTTPFields {
    /// A field name from a string, `nil` when it is not a valid token.
    fileprivate static func fieldName(_ name: String) -> Element.Name? {
        Element.Name(name)
    }
}
