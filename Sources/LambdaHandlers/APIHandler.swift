import Foundation
import HTTPAPI
import LambdaRuntime

/// `_HANDLER=api` (the default): API Gateway REST (payload 1.0) and HTTP API (2.0) events through
/// the same handlers as `uservault serve` (``UsersAPI``); anything else is an invocation error.
enum APIHandler {
    /// One API Gateway event → the handlers → the matching proxy response.
    static func serve(_ users: UsersAPI, context: LambdaContext, event: Data) async throws -> Data {
        let decoded: (format: APIGatewayEvent.PayloadFormat, request: APIRequest)
        do {
            decoded = try APIGatewayEvent.decode(event)
        } catch let error as APIGatewayEvent.NotAnAPIEvent {
            throw LambdaInvocationError("InvalidEvent", error.description)
        }
        let response = await users.handle(decoded.request, logger: context.logger)
        context.logger.info("request", metadata: [
            "method": "\(decoded.request.method)", "path": "\(decoded.request.path)", "status": "\(response.status)",
            "payloadFormat": "\(decoded.format.rawValue)",
        ])
        return APIGatewayEvent.encode(response, as: decoded.format)
    }
}
