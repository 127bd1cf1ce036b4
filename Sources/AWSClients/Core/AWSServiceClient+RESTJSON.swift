import Foundation

extension AWSServiceClient {
    /// One call of the AWS REST-JSON protocol (Security Hub): `POST <path>` (or `method`) with a
    /// JSON body, the operation named by its path rather than by a header.
    func restJSONCall<Output: Decodable>(
        _ operation: String, method: String = "POST", path: String, input: some Encodable, as output: Output.Type = Output.self
    ) async throws -> Output {
        let reply = try await send(Request(operation: operation, method: method, path: path,
                                           headers: [(name: "Content-Type", value: "application/json")],
                                           body: try encoded(input, operation)))
        return try decoded(reply, operation) { try JSONCoding.decoder.decode(Output.self, from: $0) }
    }
}
