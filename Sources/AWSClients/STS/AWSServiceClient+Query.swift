import AWSSigning
import Foundation

extension AWSServiceClient {
    /// One call of the AWS Query protocol (STS): `POST /` with a form-encoded body
    /// `Action=<action>&Version=<version>&…` (names and values percent-encoded by
    /// ``URIEncoding``, RFC 3986 unreserved characters kept), answered with XML.
    ///
    /// With `signed: false` the request carries no `Authorization` (STS
    /// `AssumeRoleWithWebIdentity`): it is sent straight through the transport, retried on
    /// throttling and transient failures like signed calls (without the retry quota).
    func queryCall(_ action: String, version: String, parameters: [(name: String, value: String)],
                   signed: Bool = true) async throws -> XMLElementTree {
        let pairs = [(name: "Action", value: action), (name: "Version", value: version)] + parameters
        let body = Data(pairs.map { "\(URIEncoding.encode($0.name))=\(URIEncoding.encode($0.value))" }
            .joined(separator: "&").utf8)
        let request = Request(operation: action, headers: [
            (name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8"),
        ], body: body)
        let reply = signed ? try await send(request) : try await sendUnsigned(request)
        do {
            return try XMLElementTree.parse(reply.body)
        } catch {
            throw AWSError.invalidResponse(service.name, action, "the response is not the expected XML",
                                           statusCode: reply.status, requestId: reply.header("x-amzn-RequestId"))
        }
    }

    /// Sends `request` without a signature, retrying like ``send(_:)``.
    func sendUnsigned(_ request: Request) async throws -> HTTPReply {
        var text = endpoint.absoluteString
        if text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text + request.path) else {
            throw AWSError.invalidResponse(service.name, request.operation, "cannot form a URL for this request")
        }
        var headers = request.headers
        headers.append((name: "Host", value: Self.hostHeader(url)))
        let exchange = HTTPExchange(method: request.method, url: url, headers: headers, body: request.body)
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            counters.request()
            let error: AWSError
            do {
                let reply = try await transport.send(exchange, timeout: timeout)
                if (200..<300).contains(reply.status) { return reply }
                error = ErrorParsing.parse(reply, service: service, operation: request.operation)
            } catch let failure as TransportFailure {
                error = failure.isTimeout
                    ? .timeout(service.name, request.operation)
                    : .transport(service.name, request.operation, failure.description)
            }
            if error.isThrottling { counters.throttle() }
            guard error.isThrottling || error.isTransient, attempt < retry.maxAttempts else {
                var final = error
                final.attempts = attempt
                throw final
            }
            counters.retry()
            try await Task.sleep(for: retry.backoff(retry: attempt - 1))
        }
    }
}
