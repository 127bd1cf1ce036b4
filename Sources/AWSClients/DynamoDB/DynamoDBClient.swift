import Foundation

/// DynamoDB over its JSON 1.0 protocol.
///
/// ```swift
/// let dynamo = DynamoDBClient(client)
/// for try await page in dynamo.scanPages(.init(TableName: "users", Segment: 0, TotalSegments: 4)) { ... }
/// ```
public struct DynamoDBClient: Sendable {
    public let client: AWSServiceClient
    static let targetPrefix = "DynamoDB_20120810"
    static let contentType = "application/x-amz-json-1.0"

    public init(_ client: AWSServiceClient) {
        self.client = client
    }

    private func call<Output: Decodable>(_ operation: String, _ input: some Encodable) async throws -> Output {
        try await client.jsonCall(operation, targetPrefix: Self.targetPrefix, contentType: Self.contentType, input: input)
    }

    /// [CreateTable](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html)
    public func createTable(_ input: DynamoDB.CreateTableInput) async throws -> DynamoDB.TableDescription? {
        let output: DynamoDB.TableDescriptionOutput = try await call("CreateTable", input)
        return output.TableDescription
    }

    /// [DescribeTable](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html)
    public func describeTable(_ name: String) async throws -> DynamoDB.TableDescription? {
        let output: DynamoDB.TableDescriptionOutput = try await call("DescribeTable", DynamoDB.TableNameInput(TableName: name))
        return output.Table
    }

    /// [Scan](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Scan.html): one page.
    public func scan(_ input: DynamoDB.ScanInput) async throws -> DynamoDB.ScanOutput {
        try await client.jsonCall("Scan", targetPrefix: Self.targetPrefix, contentType: Self.contentType, input: input,
                                  reading: DynamoDB.ScanOutput.self)
    }

    /// Every page of a scan (one segment, or all), following `LastEvaluatedKey`.
    public func scanPages(_ input: DynamoDB.ScanInput) -> Pages<DynamoDB.ScanOutput, DynamoDBItem> {
        Pages(first: input.ExclusiveStartKey) { start in
            var page = input
            page.ExclusiveStartKey = start
            let output = try await scan(page)
            return (output, output.LastEvaluatedKey.flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    /// [Query](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html): one page.
    public func query(_ input: DynamoDB.QueryInput) async throws -> DynamoDB.QueryOutput {
        try await client.jsonCall("Query", targetPrefix: Self.targetPrefix, contentType: Self.contentType, input: input,
                                  reading: DynamoDB.QueryOutput.self)
    }

    /// Every page of a query.
    public func queryPages(_ input: DynamoDB.QueryInput) -> Pages<DynamoDB.QueryOutput, DynamoDBItem> {
        Pages(first: input.ExclusiveStartKey) { start in
            var page = input
            page.ExclusiveStartKey = start
            let output = try await query(page)
            return (output, output.LastEvaluatedKey.flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    /// [GetItem](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html)
    public func getItem(_ input: DynamoDB.GetItemInput) async throws -> DynamoDB.GetItemOutput {
        try await call("GetItem", input)
    }

    /// [PutItem](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html)
    public func putItem(_ input: DynamoDB.PutItemInput) async throws {
        let _: DynamoDB.Empty = try await call("PutItem", input)
    }

    /// [UpdateItem](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html)
    public func updateItem(_ input: DynamoDB.UpdateItemInput) async throws {
        let _: DynamoDB.Empty = try await call("UpdateItem", input)
    }

    /// [TransactWriteItems](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html):
    /// all or nothing. A failed condition throws `TransactionCanceledException` with
    /// ``AWSError/cancellationReasons``.
    public func transactWriteItems(_ items: [DynamoDB.TransactWriteItem], clientRequestToken: String? = nil) async throws {
        let _: DynamoDB.Empty = try await call(
            "TransactWriteItems", DynamoDB.TransactWriteItemsInput(TransactItems: items, ClientRequestToken: clientRequestToken))
    }

    /// [BatchWriteItem](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html):
    /// writes up to 25 requests per call, resubmitting unprocessed items with backoff.
    public func batchWriteItem(table: String, requests: [DynamoDB.WriteRequest], maxRounds: Int = 8) async throws {
        for start in stride(from: 0, to: requests.count, by: 25) {
            var pending = Array(requests[start..<min(start + 25, requests.count)])
            var round = 0
            while !pending.isEmpty {
                let output: DynamoDB.BatchWriteItemOutput = try await call(
                    "BatchWriteItem", DynamoDB.BatchWriteItemInput(RequestItems: [table: pending]))
                pending = output.UnprocessedItems?[table] ?? []
                round += 1
                if !pending.isEmpty {
                    guard round < maxRounds else {
                        throw AWSError.invalidResponse("dynamodb", "BatchWriteItem",
                                                       "\(pending.count) items still unprocessed after \(round) rounds")
                    }
                    try await Task.sleep(for: client.retry.backoff(retry: round))
                }
            }
        }
    }
}
