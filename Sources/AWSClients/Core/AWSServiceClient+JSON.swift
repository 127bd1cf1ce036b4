import Foundation

extension AWSServiceClient {
    /// One call of the AWS JSON 1.0/1.1 protocols (DynamoDB, KMS): `POST /` with
    /// `X-Amz-Target: <prefix>.<operation>`.
    func jsonCall<Output: Decodable>(
        _ operation: String, targetPrefix: String, contentType: String, input: some Encodable,
        as output: Output.Type = Output.self
    ) async throws -> Output {
        let body: Data
        do {
            body = try JSONCoding.encoder.encode(input)
        } catch {
            throw AWSError.invalidResponse(service.name, operation, "the request could not be encoded")
        }
        let reply = try await send(Request(
            operation: operation,
            headers: [(name: "X-Amz-Target", value: "\(targetPrefix).\(operation)"),
                      (name: "Content-Type", value: contentType)],
            body: body))
        do {
            return try JSONCoding.decoder.decode(Output.self, from: reply.body.isEmpty ? Data("{}".utf8) : reply.body)
        } catch {
            throw AWSError.invalidResponse(service.name, operation, "the response is not the expected JSON",
                                           statusCode: reply.status, requestId: reply.header("x-amzn-RequestId"))
        }
    }
}

enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dataEncodingStrategy = .base64
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dataDecodingStrategy = .base64
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()
}
