import Foundation
import Logging
import UserVaultCore

/// The users HTTP API as a plain function over ``UserService``: `POST /users`,
/// `GET /users`, `GET /users/{id}`, answered with JSON:API 1.0 documents, and its OpenAPI
/// document at `GET /openapi.json` (``OpenAPIDocument``; `openapi.yaml` is the contract).
///
/// The same value serves the local Hummingbird server (``APIServer``) and API Gateway
/// Lambda events: each transport only converts its request to an ``APIRequest`` and writes
/// the ``APIResponse`` back.
///
/// ```swift
/// let api = UsersAPI(service: service, configuration: .init(basePath: "/prod"))
/// let response = await api.handle(
///     APIRequest(method: "GET", path: "/users", query: "page%5Bsize%5D=10"), logger: logger)
/// // response.status == 200, response.body is a JSON:API collection document
/// ```
///
/// Status codes: 201 created (with `Location`), 200, 400 malformed JSON or query, 403
/// client-generated id, 404 unknown route or user, 405 wrong method (with `Allow`), 406,
/// 409 duplicate email or wrong `type`, 413 body too large, 415, 422 validation (one error
/// object per field, `source.pointer` at the attribute), 500, 503 throttled (with
/// `Retry-After`).
///
/// - Warning: request bodies hold passwords. Nothing here logs or echoes a submitted value;
///   errors are logged through ``UserService/safeDescription(_:)`` only.
public struct UsersAPI: Sendable {
    public let service: UserService
    public let configuration: Configuration
    /// The path part of ``Configuration/basePath``, stripped from incoming paths.
    let routingPrefix: String

    public init(service: UserService, configuration: Configuration = .init()) {
        self.service = service
        self.configuration = configuration
        self.routingPrefix = Self.pathPart(of: configuration.basePath)
    }

    /// Answers one request. Never throws: every failure becomes a JSON:API error document.
    public func handle(_ request: APIRequest, logger: Logger) async -> APIResponse {
        await handle(request, declaredBodyLength: nil, logger: logger)
    }

    /// ``handle(_:logger:)`` for a transport that did not read a body whose declared
    /// `Content-Length` is already over the limit (it answers 413 where the body would).
    func handle(_ request: APIRequest, declaredBodyLength: Int?, logger: Logger) async -> APIResponse {
        do {
            return try await respond(to: request, declaredBodyLength: declaredBodyLength, logger: logger)
        } catch {
            return APIProblem.from(error, pointerPrefix: nil, logger: logger).response
        }
    }

    private func respond(to request: APIRequest, declaredBodyLength: Int?, logger: Logger) async throws -> APIResponse {
        guard let route = Route(path: request.path, prefix: routingPrefix) else { throw APIProblem.routeNotFound }
        let method = request.method.uppercased()
        guard route.allowedMethods.contains(method) else {
            throw APIProblem.methodNotAllowed(allow: route.allowedMethods)
        }
        // The OpenAPI document is plain JSON: the JSON:API rules for Accept do not apply to it.
        if route != .openAPIDocument { try ContentNegotiation.checkAccept(request.headerValues("Accept")) }
        switch (route, method) {
        case (.openAPIDocument, _):
            return OpenAPIDocument.response
        case (.users, "POST"):
            return await create(request, declaredBodyLength: declaredBodyLength, logger: logger)
        case (.users, _):
            return try await list(query: request.query)
        case (.user(let id), _):
            return try await get(id: id)
        }
    }

    // MARK: Handlers

    private func create(_ request: APIRequest, declaredBodyLength: Int?, logger: Logger) async -> APIResponse {
        do {
            try ContentNegotiation.checkContentType(request.header("Content-Type"))
        } catch {
            return error.response
        }
        let body = request.body ?? Data()
        guard max(body.count, declaredBodyLength ?? 0) <= configuration.maxBodyBytes else {
            return APIProblem.payloadTooLarge(limit: configuration.maxBodyBytes).response
        }
        let input: NewUserInput
        let pointerPrefix: String
        switch CreateUserRequest.parse(body) {
        case .success(let parsed):
            (input, pointerPrefix) = parsed
        case .failure(let problem):
            return APIProblem.from(problem).response
        }
        do {
            let user = try await service.create(input, logger: logger)
            let location = "\(configuration.basePath)/users/\(PercentEncoding.encode(user.id))"
            return APIResponse(
                status: 201,
                headers: [("Content-Type", JSONAPI.mediaType), ("Location", location)],
                body: JSONAPI.userDocument(user, basePath: configuration.basePath))
        } catch {
            return APIProblem.from(error, pointerPrefix: pointerPrefix, logger: logger).response
        }
    }

    private func list(query rawQuery: String?) async throws -> APIResponse {
        let query = try CollectionQuery.parse(rawQuery, maxPageSize: service.configuration.maxPageSize)
        let page = try await service.list(ListQuery(pageSize: query.pageSize, after: query.after, email: query.email))
        let collection = "\(configuration.basePath)/users"
        let next = page.nextCursor.map { cursor in
            let next = CollectionQuery(
                pageSize: query.pageSize ?? service.configuration.defaultPageSize, after: cursor, email: query.email)
            return collection + next.encoded
        }
        return APIResponse(
            status: 200,
            headers: [("Content-Type", JSONAPI.mediaType)],
            body: JSONAPI.collectionDocument(
                page.users, selfLink: collection + query.encoded, nextLink: next, basePath: configuration.basePath))
    }

    private func get(id: String) async throws -> APIResponse {
        guard let user = try await service.get(id: id) else { throw APIProblem.userNotFound }
        return APIResponse(
            status: 200,
            headers: [("Content-Type", JSONAPI.mediaType)],
            body: JSONAPI.userDocument(user, basePath: configuration.basePath))
    }

    /// `"/prod"` for `"/prod/"`, `"/v1"` for `"https://api.example.com/v1"`.
    private static func pathPart(of basePath: String) -> String {
        var path = basePath
        if basePath.contains("://") {
            path = URLComponents(string: basePath)?.percentEncodedPath ?? ""
        }
        while path.hasSuffix("/") { path.removeLast() }
        return path.hasPrefix("/") ? path : ""
    }
}
