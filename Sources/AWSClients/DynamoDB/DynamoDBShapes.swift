import Foundation

// Wire shapes of the DynamoDB JSON 1.0 protocol. Property names mirror the API reference
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/) exactly, so that they
// encode without key mapping; optional members are omitted when nil.

public enum DynamoDB {
    public struct KeySchemaElement: Codable, Sendable, Hashable {
        public var AttributeName: String
        public var KeyType: String
        public init(_ name: String, _ type: String) { AttributeName = name; KeyType = type }
    }

    public struct AttributeDefinition: Codable, Sendable, Hashable {
        public var AttributeName: String
        public var AttributeType: String
        public init(_ name: String, _ type: String) { AttributeName = name; AttributeType = type }
    }

    public struct Projection: Codable, Sendable, Hashable {
        public var ProjectionType: String
        public var NonKeyAttributes: [String]?
        public init(ProjectionType: String, NonKeyAttributes: [String]? = nil) {
            self.ProjectionType = ProjectionType
            self.NonKeyAttributes = NonKeyAttributes
        }
    }

    public struct GlobalSecondaryIndex: Codable, Sendable, Hashable {
        public var IndexName: String
        public var KeySchema: [KeySchemaElement]
        public var Projection: Projection
        public init(IndexName: String, KeySchema: [KeySchemaElement], Projection: Projection) {
            self.IndexName = IndexName
            self.KeySchema = KeySchema
            self.Projection = Projection
        }
    }

    public struct CreateTableInput: Codable, Sendable {
        public var TableName: String
        public var KeySchema: [KeySchemaElement]
        public var AttributeDefinitions: [AttributeDefinition]
        public var GlobalSecondaryIndexes: [GlobalSecondaryIndex]?
        public var BillingMode: String? = "PAY_PER_REQUEST"
        public var StreamSpecification: StreamSpecification?
        public init(TableName: String, KeySchema: [KeySchemaElement], AttributeDefinitions: [AttributeDefinition],
                    GlobalSecondaryIndexes: [GlobalSecondaryIndex]? = nil, StreamSpecification: StreamSpecification? = nil) {
            self.TableName = TableName
            self.KeySchema = KeySchema
            self.AttributeDefinitions = AttributeDefinitions
            self.GlobalSecondaryIndexes = GlobalSecondaryIndexes
            self.StreamSpecification = StreamSpecification
        }
    }

    /// A table's stream: `StreamViewType` `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`.
    public struct StreamSpecification: Codable, Sendable, Hashable {
        public var StreamEnabled: Bool
        public var StreamViewType: String?
        public init(StreamEnabled: Bool, StreamViewType: String? = nil) {
            self.StreamEnabled = StreamEnabled
            self.StreamViewType = StreamViewType
        }
    }

    public struct TableDescription: Codable, Sendable {
        public var TableName: String?
        public var TableArn: String?
        public var TableStatus: String?
        public var ItemCount: Int?
        public var TableSizeBytes: Int?
        public var KeySchema: [KeySchemaElement]?
        public var GlobalSecondaryIndexes: [GlobalSecondaryIndexDescription]?
        public var ProvisionedThroughput: ProvisionedThroughputDescription?
        public var BillingModeSummary: BillingModeSummary?
        public var StreamSpecification: StreamSpecification?
        /// The ARN of the table's current stream (DynamoDB Streams), when it has one.
        public var LatestStreamArn: String?
    }

    public struct ProvisionedThroughputDescription: Codable, Sendable {
        public var ReadCapacityUnits: Double?
        public var WriteCapacityUnits: Double?
    }

    public struct BillingModeSummary: Codable, Sendable {
        /// `PROVISIONED` or `PAY_PER_REQUEST` (on demand).
        public var BillingMode: String?
    }

    public struct GlobalSecondaryIndexDescription: Codable, Sendable {
        public var IndexName: String?
        public var IndexStatus: String?
    }

    struct TableDescriptionOutput: Codable, Sendable {
        var Table: TableDescription?
        var TableDescription: TableDescription?
    }

    struct TableNameInput: Codable, Sendable {
        var TableName: String
    }

    public struct ConsumedCapacity: Codable, Sendable {
        public var TableName: String?
        public var CapacityUnits: Double?
        public var ReadCapacityUnits: Double?
        public var WriteCapacityUnits: Double?
    }

    public struct ScanInput: Codable, Sendable {
        public var TableName: String
        public var IndexName: String?
        public var Segment: Int?
        public var TotalSegments: Int?
        public var Limit: Int?
        public var ProjectionExpression: String?
        public var FilterExpression: String?
        public var ExpressionAttributeNames: [String: String]?
        public var ExpressionAttributeValues: DynamoDBItem?
        public var ExclusiveStartKey: DynamoDBItem?
        public var ConsistentRead: Bool?
        public var ReturnConsumedCapacity: String?
        public var Select: String?

        public init(TableName: String, IndexName: String? = nil, Segment: Int? = nil, TotalSegments: Int? = nil,
                    Limit: Int? = nil, ProjectionExpression: String? = nil, FilterExpression: String? = nil,
                    ExpressionAttributeNames: [String: String]? = nil, ExpressionAttributeValues: DynamoDBItem? = nil,
                    ExclusiveStartKey: DynamoDBItem? = nil, ConsistentRead: Bool? = nil,
                    ReturnConsumedCapacity: String? = "TOTAL", Select: String? = nil) {
            self.TableName = TableName
            self.IndexName = IndexName
            self.Segment = Segment
            self.TotalSegments = TotalSegments
            self.Limit = Limit
            self.ProjectionExpression = ProjectionExpression
            self.FilterExpression = FilterExpression
            self.ExpressionAttributeNames = ExpressionAttributeNames
            self.ExpressionAttributeValues = ExpressionAttributeValues
            self.ExclusiveStartKey = ExclusiveStartKey
            self.ConsistentRead = ConsistentRead
            self.ReturnConsumedCapacity = ReturnConsumedCapacity
            self.Select = Select
        }
    }

    public struct ScanOutput: Codable, Sendable {
        public var Items: [DynamoDBItem]?
        public var Count: Int?
        public var ScannedCount: Int?
        public var LastEvaluatedKey: DynamoDBItem?
        public var ConsumedCapacity: ConsumedCapacity?
    }

    public struct QueryInput: Codable, Sendable {
        public var TableName: String
        public var IndexName: String?
        public var KeyConditionExpression: String
        public var FilterExpression: String?
        public var ProjectionExpression: String?
        public var ExpressionAttributeNames: [String: String]?
        public var ExpressionAttributeValues: DynamoDBItem?
        public var ExclusiveStartKey: DynamoDBItem?
        public var Limit: Int?
        public var ReturnConsumedCapacity: String?

        public init(TableName: String, IndexName: String? = nil, KeyConditionExpression: String,
                    FilterExpression: String? = nil, ProjectionExpression: String? = nil,
                    ExpressionAttributeNames: [String: String]? = nil, ExpressionAttributeValues: DynamoDBItem? = nil,
                    ExclusiveStartKey: DynamoDBItem? = nil, Limit: Int? = nil, ReturnConsumedCapacity: String? = "TOTAL") {
            self.TableName = TableName
            self.IndexName = IndexName
            self.KeyConditionExpression = KeyConditionExpression
            self.FilterExpression = FilterExpression
            self.ProjectionExpression = ProjectionExpression
            self.ExpressionAttributeNames = ExpressionAttributeNames
            self.ExpressionAttributeValues = ExpressionAttributeValues
            self.ExclusiveStartKey = ExclusiveStartKey
            self.Limit = Limit
            self.ReturnConsumedCapacity = ReturnConsumedCapacity
        }
    }

    public typealias QueryOutput = ScanOutput

    public struct GetItemInput: Codable, Sendable {
        public var TableName: String
        public var Key: DynamoDBItem
        public var ProjectionExpression: String?
        public var ExpressionAttributeNames: [String: String]?
        public var ConsistentRead: Bool?
        public init(TableName: String, Key: DynamoDBItem, ProjectionExpression: String? = nil,
                    ExpressionAttributeNames: [String: String]? = nil, ConsistentRead: Bool? = nil) {
            self.TableName = TableName
            self.Key = Key
            self.ProjectionExpression = ProjectionExpression
            self.ExpressionAttributeNames = ExpressionAttributeNames
            self.ConsistentRead = ConsistentRead
        }
    }

    public struct GetItemOutput: Codable, Sendable {
        public var Item: DynamoDBItem?
        public var ConsumedCapacity: ConsumedCapacity?
    }

    public struct PutItemInput: Codable, Sendable {
        public var TableName: String
        public var Item: DynamoDBItem
        public var ConditionExpression: String?
        public var ExpressionAttributeNames: [String: String]?
        public var ExpressionAttributeValues: DynamoDBItem?
        public init(TableName: String, Item: DynamoDBItem, ConditionExpression: String? = nil,
                    ExpressionAttributeNames: [String: String]? = nil, ExpressionAttributeValues: DynamoDBItem? = nil) {
            self.TableName = TableName
            self.Item = Item
            self.ConditionExpression = ConditionExpression
            self.ExpressionAttributeNames = ExpressionAttributeNames
            self.ExpressionAttributeValues = ExpressionAttributeValues
        }
    }

    public struct UpdateItemInput: Codable, Sendable {
        public var TableName: String
        public var Key: DynamoDBItem
        public var UpdateExpression: String
        public var ConditionExpression: String?
        public var ExpressionAttributeNames: [String: String]?
        public var ExpressionAttributeValues: DynamoDBItem?
        public init(TableName: String, Key: DynamoDBItem, UpdateExpression: String, ConditionExpression: String? = nil,
                    ExpressionAttributeNames: [String: String]? = nil, ExpressionAttributeValues: DynamoDBItem? = nil) {
            self.TableName = TableName
            self.Key = Key
            self.UpdateExpression = UpdateExpression
            self.ConditionExpression = ConditionExpression
            self.ExpressionAttributeNames = ExpressionAttributeNames
            self.ExpressionAttributeValues = ExpressionAttributeValues
        }
    }

    public struct TransactWriteItem: Codable, Sendable {
        public var Put: PutItemInput?
        public var Update: UpdateItemInput?
        public var ConditionCheck: ConditionCheck?
        public init(Put: PutItemInput? = nil, Update: UpdateItemInput? = nil, ConditionCheck: ConditionCheck? = nil) {
            self.Put = Put
            self.Update = Update
            self.ConditionCheck = ConditionCheck
        }
    }

    public struct ConditionCheck: Codable, Sendable {
        public var TableName: String
        public var Key: DynamoDBItem
        public var ConditionExpression: String
        public var ExpressionAttributeNames: [String: String]?
        public var ExpressionAttributeValues: DynamoDBItem?
    }

    struct TransactWriteItemsInput: Codable, Sendable {
        var TransactItems: [TransactWriteItem]
        var ClientRequestToken: String?
    }

    public struct WriteRequest: Codable, Sendable {
        public var PutRequest: PutRequest?
        public var DeleteRequest: DeleteRequest?
        public init(PutRequest: PutRequest? = nil, DeleteRequest: DeleteRequest? = nil) {
            self.PutRequest = PutRequest
            self.DeleteRequest = DeleteRequest
        }
    }

    public struct PutRequest: Codable, Sendable {
        public var Item: DynamoDBItem
        public init(Item: DynamoDBItem) { self.Item = Item }
    }

    public struct DeleteRequest: Codable, Sendable {
        public var Key: DynamoDBItem
        public init(Key: DynamoDBItem) { self.Key = Key }
    }

    struct BatchWriteItemInput: Codable, Sendable {
        var RequestItems: [String: [WriteRequest]]
    }

    public struct BatchWriteItemOutput: Codable, Sendable {
        public var UnprocessedItems: [String: [WriteRequest]]?
    }

    struct Empty: Codable, Sendable {}
}

extension DynamoDB.ScanOutput: JSONReadable {
    /// Reads a Scan or Query answer as its `Decodable` conformance does, faster (a page is read
    /// per 1,000 users; see ``JSONReader``).
    init(reading json: inout JSONReader) throws {
        try json.object { json, field in
            switch field {
            case "Items":
                var items: [DynamoDBItem] = []
                try json.array { items.append(try DynamoDBItem(reading: &$0)) }
                Items = items
            case "Count": Count = try json.null() ? nil : json.int()
            case "ScannedCount": ScannedCount = try json.null() ? nil : json.int()
            case "LastEvaluatedKey": LastEvaluatedKey = try json.null() ? nil : DynamoDBItem(reading: &json)
            case "ConsumedCapacity": ConsumedCapacity = try json.null() ? nil : DynamoDB.ConsumedCapacity(reading: &json)
            default: try json.skip()
            }
        }
    }
}

extension DynamoDB.ConsumedCapacity: JSONReadable {
    init(reading json: inout JSONReader) throws {
        try json.object { json, field in
            switch field {
            case "TableName": TableName = try json.null() ? nil : json.string()
            case "CapacityUnits": CapacityUnits = try json.null() ? nil : json.double()
            case "ReadCapacityUnits": ReadCapacityUnits = try json.null() ? nil : json.double()
            case "WriteCapacityUnits": WriteCapacityUnits = try json.null() ? nil : json.double()
            default: try json.skip()
            }
        }
    }
}
