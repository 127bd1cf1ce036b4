import AWSClients
import Foundation
import Testing
import TestSupport

@Suite("The DynamoDB client against moto")
struct DynamoDBClientTests {
    static func withTable(_ body: (DynamoDBClient) async throws -> Void) async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let dynamo = MotoBackend(moto: moto, transport: transport).dynamo
                _ = try await dynamo.createTable(.init(
                    TableName: "things", KeySchema: [.init("id", "HASH")], AttributeDefinitions: [.init("id", "S")]))
                try await body(dynamo)
            }
        }
    }

    @Test("every AttributeValue type survives a put and a get")
    func attributeValues() async throws {
        try await Self.withTable { dynamo in
            let item: DynamoDBItem = [
                "id": .s("all-types"), "n": .n("-12.5e3"), "b": .b(Data([0, 1, 2, 255])), "t": .bool(true),
                "z": .null, "m": .m(["inner": .s("x"), "deep": .l([.n("1"), .bool(false)])]),
                "l": .l([.s("a"), .b(Data([9]))]), "ss": .ss(["a", "b"]), "ns": .ns(["1", "2.5"]),
                "bs": .bs([Data([1]), Data([2, 3])]), "unicode": .s("日本語 ✓ \u{1F600}"),
            ]
            try await dynamo.putItem(.init(TableName: "things", Item: item))
            let got = try #require(try await dynamo.getItem(.init(TableName: "things", Key: ["id": .s("all-types")])).Item)
            #expect(got["id"] == item["id"] && got["n"] == item["n"] && got["b"] == item["b"])
            #expect(got["t"] == item["t"] && got["z"] == item["z"] && got["m"] == item["m"] && got["l"] == item["l"])
            #expect(Set(got["ss"].flatMap { if case .ss(let v) = $0 { v } else { nil } } ?? []) == ["a", "b"])
            #expect(got["unicode"] == item["unicode"])
            #expect(got["bs"] != nil && got["ns"] != nil)
            #expect("\(got["b"]!)" == "B(4 bytes)", "descriptions never show values")
        }
    }

    @Test("UpdateItem honours its condition; BatchWriteItem writes more than 25; segmented scans page through all")
    func writesAndScans() async throws {
        try await Self.withTable { dynamo in
            let requests = (0..<60).map { DynamoDB.WriteRequest(PutRequest: .init(Item: ["id": .s("item-\($0)"), "v": .n("0")])) }
            try await dynamo.batchWriteItem(table: "things", requests: requests)
            try await dynamo.updateItem(.init(
                TableName: "things", Key: ["id": .s("item-1")], UpdateExpression: "SET #v = :new",
                ConditionExpression: "#v = :old", ExpressionAttributeNames: ["#v": "v"],
                ExpressionAttributeValues: [":new": .n("1"), ":old": .n("0")]))
            let lost = await #expect(throws: AWSError.self) {
                try await dynamo.updateItem(.init(
                    TableName: "things", Key: ["id": .s("item-1")], UpdateExpression: "SET #v = :new",
                    ConditionExpression: "#v = :old", ExpressionAttributeNames: ["#v": "v"],
                    ExpressionAttributeValues: [":new": .n("2"), ":old": .n("0")]))
            }
            #expect(lost?.code == "ConditionalCheckFailedException")
            #expect(lost?.attempts == 1, "a failed condition is never retried")
            var seen: [String] = []
            for segment in 0..<3 {
                for try await page in dynamo.scanPages(.init(TableName: "things", Segment: segment, TotalSegments: 3, Limit: 7)) {
                    #expect((page.Items ?? []).count <= 7)
                    #expect(page.ConsumedCapacity?.CapacityUnits != nil)
                    seen += (page.Items ?? []).compactMap { $0["id"]?.stringValue }
                }
            }
            #expect(seen.count == 60)
            #expect(Set(seen).count == 60)
            let query = try await dynamo.query(.init(
                TableName: "things", KeyConditionExpression: "#id = :id", ExpressionAttributeNames: ["#id": "id"],
                ExpressionAttributeValues: [":id": .s("item-1")]))
            #expect(query.Items?.first?["v"] == .n("1"))
        }
    }
}
