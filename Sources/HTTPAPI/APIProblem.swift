import Foundation
import Logging
import UserVaultCore

/// A request the API refuses: a status, its JSON:API error objects and any extra headers.
///
/// Details never hold a submitted value (a password, an email, a body).
struct APIProblem: Error, Sendable {
    var status: Int
    var errors: [JSONAPI.ErrorObject]
    var headers: [(name: String, value: String)] = []

    init(status: Int, errors: [JSONAPI.ErrorObject], headers: [(name: String, value: String)] = []) {
        self.status = status
        self.errors = errors
        self.headers = headers
    }

    init(status: Int, code: String, title: String, detail: String? = nil, pointer: String? = nil,
         parameter: String? = nil, headers: [(name: String, value: String)] = []) {
        self.init(
            status: status,
            errors: [JSONAPI.ErrorObject(status: status, code: code, title: title, detail: detail, pointer: pointer,
                                         parameter: parameter)],
            headers: headers)
    }

    // MARK: Routing and negotiation

    static let routeNotFound = APIProblem(
        status: 404, code: "NOT_FOUND", title: "Not found", detail: "no resource lives at this path")

    static let userNotFound = APIProblem(
        status: 404, code: "USER_NOT_FOUND", title: "User not found", detail: "no user has this id")

    static func methodNotAllowed(allow: [String]) -> APIProblem {
        APIProblem(
            status: 405, code: "METHOD_NOT_ALLOWED", title: "Method not allowed",
            detail: "this resource supports \(allow.joined(separator: ", "))",
            headers: [("Allow", allow.joined(separator: ", "))])
    }

    static let notAcceptable = APIProblem(
        status: 406, code: "NOT_ACCEPTABLE", title: "Not acceptable",
        detail: "every instance of \(JSONAPI.mediaType) in Accept has media type parameters")

    static let unsupportedMediaTypeParameters = APIProblem(
        status: 415, code: "UNSUPPORTED_MEDIA_TYPE", title: "Unsupported media type",
        detail: "\(JSONAPI.mediaType) must be sent without media type parameters")

    static let unsupportedMediaType = APIProblem(
        status: 415, code: "UNSUPPORTED_MEDIA_TYPE", title: "Unsupported media type",
        detail: "send the body as \(JSONAPI.mediaType) (or application/json)")

    static func payloadTooLarge(limit: Int) -> APIProblem {
        APIProblem(
            status: 413, code: "PAYLOAD_TOO_LARGE", title: "Payload too large",
            detail: "the request body exceeds \(limit) bytes")
    }

    // MARK: Query parameters

    static func unsupportedParameter(_ name: String) -> APIProblem {
        APIProblem(
            status: 400, code: "UNSUPPORTED_QUERY_PARAMETER", title: "Unsupported query parameter",
            detail: "this query parameter is not supported here", parameter: displayableParameter(name))
    }

    static func duplicateParameter(_ name: String) -> APIProblem {
        APIProblem(
            status: 400, code: "DUPLICATE_QUERY_PARAMETER", title: "Duplicate query parameter",
            detail: "this query parameter was given more than once", parameter: displayableParameter(name))
    }

    static let malformedQuery = APIProblem(
        status: 400, code: "MALFORMED_QUERY", title: "Malformed query string",
        detail: "the query string is not validly percent-encoded")

    static func invalidPageSize(max: Int) -> APIProblem {
        APIProblem(
            status: 400, code: "INVALID_PAGE_SIZE", title: "Invalid page size",
            detail: "page[size] must be an integer from 1 to \(max)", parameter: "page[size]")
    }

    static let invalidCursor = APIProblem(
        status: 400, code: "INVALID_CURSOR", title: "Invalid cursor",
        detail: "page[after] must be a cursor from a links.next of this listing (with the same filter)",
        parameter: "page[after]")

    /// A parameter name is echoed only when short: it names, it does not carry data.
    private static func displayableParameter(_ name: String) -> String? {
        name.count <= 64 ? name : nil
    }

    // MARK: Create bodies and service errors

    static func from(_ problem: CreateUserRequest.Problem) -> APIProblem {
        switch problem.kind {
        case .malformed:
            return APIProblem(status: 400, code: "MALFORMED_JSON", title: "Malformed JSON", detail: problem.detail,
                              pointer: problem.pointer)
        case .invalidDocument:
            return APIProblem(status: 400, code: "INVALID_DOCUMENT", title: "Invalid document", detail: problem.detail,
                              pointer: problem.pointer)
        case .typeConflict:
            return APIProblem(status: 409, code: "TYPE_CONFLICT", title: "Type conflict", detail: problem.detail,
                              pointer: problem.pointer)
        case .clientGeneratedId:
            return APIProblem(status: 403, code: "CLIENT_GENERATED_ID", title: "Client-generated id",
                              detail: problem.detail, pointer: problem.pointer)
        case .invalidAttribute(let code):
            return APIProblem(status: 422, code: code, title: "Invalid attribute", detail: problem.detail,
                              pointer: problem.pointer)
        }
    }

    /// Maps an error of ``UserService`` to a response. `pointerPrefix` is where the attributes
    /// sit in the request body (`/data/attributes`, or `""` for the flat body); `nil` outside
    /// a create.
    static func from(_ error: any Error, pointerPrefix: String?, logger: Logger) -> APIProblem {
        switch error {
        case let problem as APIProblem:
            return problem
        case let failure as ValidationFailure:
            return APIProblem(status: 422, errors: failure.violations.map { violation in
                JSONAPI.ErrorObject(
                    status: 422, code: violation.code, title: "Invalid attribute", detail: violation.detail,
                    pointer: pointerPrefix.map { "\($0)/\(violation.field)" })
            })
        case let error as UserTableError where error == .duplicateEmail:
            return APIProblem(
                status: 409, code: "DUPLICATE_EMAIL", title: "Duplicate email", detail: error.detail,
                pointer: pointerPrefix.map { "\($0)/email" })
        case ListError.invalidCursor:
            return .invalidCursor
        case ListError.invalidPageSize(let max):
            return .invalidPageSize(max: max)
        case let error as UserTableError where error.isThrottling:
            return throttled(error, logger: logger)
        case let error as KeyServiceError where error.isThrottling:
            return throttled(error, logger: logger)
        default:
            logger.error("request failed", metadata: [
                "error": "\(UserService.safeDescription(error))", "errorType": "\(type(of: error))",
            ])
            return APIProblem(
                status: 500, code: "INTERNAL_ERROR", title: "Internal server error",
                detail: "the server could not complete the request")
        }
    }

    /// The server listens but its backend is not open yet (``DeferredUsersAPI``).
    static let starting = APIProblem(
        status: 503, code: "STARTING", title: "Service unavailable",
        detail: "the server is starting; retry shortly", headers: [("Retry-After", "1")])

    private static func throttled(_ error: any Error, logger: Logger) -> APIProblem {
        logger.warning("backend throttled the request", metadata: ["error": "\(UserService.safeDescription(error))"])
        return APIProblem(
            status: 503, code: "THROTTLED", title: "Service unavailable",
            detail: "the service is busy; retry shortly", headers: [("Retry-After", "1")])
    }

    /// The JSON:API error document response.
    var response: APIResponse {
        APIResponse(
            status: status,
            headers: [("Content-Type", JSONAPI.mediaType)] + headers,
            body: JSONAPI.errorDocument(errors))
    }
}
