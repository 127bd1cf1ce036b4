import Foundation

extension AWSServiceClient {
    /// One call of the AWS JSON 1.0/1.1 protocols (DynamoDB, KMS): `POST /` with
    /// `X-Amz-Target: <prefix>.<operation>`.
    func jsonCall<Output: Decodable>(
        _ operation: String, targetPrefix: String, contentType: String, input: some Encodable,
        as output: Output.Type = Output.self
    ) async throws -> Output {
        let reply = try await jsonReply(operation, targetPrefix: targetPrefix, contentType: contentType, input: input)
        return try decoded(reply, operation) { try JSONCoding.decoder.decode(Output.self, from: $0) }
    }

    /// ``jsonCall(_:targetPrefix:contentType:input:as:)`` for an answer read with ``JSONReader``
    /// (the shapes on a job's hot path).
    func jsonCall<Output: JSONReadable>(
        _ operation: String, targetPrefix: String, contentType: String, input: some Encodable,
        reading output: Output.Type = Output.self
    ) async throws -> Output {
        let reply = try await jsonReply(operation, targetPrefix: targetPrefix, contentType: contentType, input: input)
        return try decoded(reply, operation) { try JSONReader.read($0) { try Output(reading: &$0) } }
    }

    /// The same, with a body already written (``JSONObjectWriter``).
    func jsonCall<Output: JSONReadable>(
        _ operation: String, targetPrefix: String, contentType: String, body: Data,
        reading output: Output.Type = Output.self
    ) async throws -> Output {
        let reply = try await jsonReply(operation, targetPrefix: targetPrefix, contentType: contentType, body: body)
        return try decoded(reply, operation) { try JSONReader.read($0) { try Output(reading: &$0) } }
    }

    private func jsonReply(
        _ operation: String, targetPrefix: String, contentType: String, input: some Encodable
    ) async throws -> HTTPReply {
        try await jsonReply(operation, targetPrefix: targetPrefix, contentType: contentType, body: try encoded(input, operation))
    }

    /// `input` as a JSON request body.
    func encoded(_ input: some Encodable, _ operation: String) throws -> Data {
        do {
            return try JSONCoding.encoder.encode(input)
        } catch {
            throw AWSError.invalidResponse(service.name, operation, "the request could not be encoded")
        }
    }

    private func jsonReply(_ operation: String, targetPrefix: String, contentType: String, body: Data) async throws -> HTTPReply {
        try await send(Request(
            operation: operation,
            headers: [(name: "X-Amz-Target", value: "\(targetPrefix).\(operation)"),
                      (name: "Content-Type", value: contentType)],
            body: body))
    }

    func decoded<Output>(_ reply: HTTPReply, _ operation: String, _ decode: (Data) throws -> Output) throws -> Output {
        do {
            return try decode(reply.body.isEmpty ? Data("{}".utf8) : reply.body)
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
