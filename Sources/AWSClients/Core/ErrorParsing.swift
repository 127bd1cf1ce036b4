import Foundation

/// Turns an error reply into an ``AWSError`` with the service's code, message and request id.
enum ErrorParsing {
    static func parse(_ reply: HTTPReply, service: AWSService, operation: String) -> AWSError {
        let requestId = reply.header("x-amzn-RequestId") ?? reply.header("x-amz-request-id")
        var code: String?
        var message: String?
        var reasons: [String]?
        switch service.errorFormat {
        case .json:
            if let object = try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any] {
                code = (object["__type"] as? String) ?? (object["code"] as? String)
                message = (object["message"] as? String) ?? (object["Message"] as? String)
                reasons = (object["CancellationReasons"] as? [[String: Any]])?.map { ($0["Code"] as? String) ?? "None" }
            }
            if code == nil, let header = reply.header("x-amzn-ErrorType") { code = header }
        case .xml:
            // S3 answers `<Error><Code>`, STS `<ErrorResponse><Error><Code>`: the first of each name.
            let root = try? XMLElementTree.parse(reply.body)
            code = root?.first("Code")?.text
            message = root?.first("Message")?.text
            if requestId == nil, let id = root?.first("RequestId")?.text {
                return .service(service.name, operation, code: normalize(code), message: message,
                                statusCode: reply.status, requestId: id)
            }
        }
        if code == nil, reply.status == 403 { code = "AccessDenied" }
        var error = AWSError.service(service.name, operation, code: normalize(code), message: message,
                                     statusCode: reply.status, requestId: requestId)
        error.cancellationReasons = reasons
        return error
    }

    /// `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` and
    /// `ValidationException:http://internal.amazon.com/...` both become the bare code.
    static func normalize(_ code: String?) -> String? {
        guard var code, !code.isEmpty else { return nil }
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        if let colon = code.firstIndex(of: ":") { code = String(code[..<colon]) }
        return code
    }
}
