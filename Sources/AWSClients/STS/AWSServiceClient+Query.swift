import AWSSigning
import Foundation

extension AWSServiceClient {
    /// One call of the AWS Query protocol (STS): `POST /` with a form-encoded body
    /// `Action=<action>&Version=<version>&…` (names and values percent-encoded by
    /// ``URIEncoding``, RFC 3986 unreserved characters kept), answered with XML.
    ///
    /// With `signed: false` the request carries no `Authorization` (STS
    /// `AssumeRoleWithWebIdentity`); it is retried like a signed call (``send(_:signed:)``).
    func queryCall(_ action: String, version: String, parameters: [(name: String, value: String)],
                   signed: Bool = true) async throws -> XMLElementTree {
        let pairs = [(name: "Action", value: action), (name: "Version", value: version)] + parameters
        let body = Data(pairs.map { "\(URIEncoding.encode($0.name))=\(URIEncoding.encode($0.value))" }
            .joined(separator: "&").utf8)
        let request = Request(operation: action, headers: [
            (name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8"),
        ], body: body)
        let reply = try await send(request, signed: signed)
        do {
            return try XMLElementTree.parse(reply.body)
        } catch {
            throw AWSError.invalidResponse(service.name, action, "the response is not the expected XML",
                                           statusCode: reply.status, requestId: reply.header("x-amzn-RequestId"))
        }
    }
}
