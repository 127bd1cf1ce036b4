import AWSClients
import Foundation
import Logging
import UserVaultCore

/// The users table on DynamoDB, in the original Node.js service's shape: partition key `id`,
/// GSI `EmailIndex` on `email`.
///
/// Every read path that serves the API projects the allow-list; only ``item(id:)`` and full
/// scans (jobs) read `credentials`.
public struct DynamoDBUserTable: UserTable {
    public let backendName = "aws"
    public let tableName: String
    public let indexName: String
    let dynamo: DynamoDBClient

    public init(dynamo: DynamoDBClient, tableName: String = "users", indexName: String = "EmailIndex") {
        self.dynamo = dynamo
        self.tableName = tableName
        self.indexName = indexName
    }

    /// `#n0, #n1, …` aliases for the allow-list: `type` and friends may be reserved words.
    static let publicNames: [String: String] = Dictionary(
        uniqueKeysWithValues: UserAttributes.allowList.map { ("#\($0)", $0) })
    static let publicProjection = UserAttributes.allowList.map { "#\($0)" }.joined(separator: ", ")
    /// What the email index projects (the table key `id` and the index key `email` come with it).
    static let indexAttributes = ["type", "firstname", "lastname", "username", "createdAt"]

    public func ensureTable() async throws -> Bool {
        do {
            _ = try await dynamo.describeTable(tableName)
            return false
        } catch let error as AWSError where error.code == "ResourceNotFoundException" {
            // Create it below.
        } catch {
            throw Self.mapped(error, table: tableName)
        }
        do {
            _ = try await dynamo.createTable(.init(
                TableName: tableName,
                KeySchema: [.init("id", "HASH")],
                AttributeDefinitions: [.init("id", "S"), .init("email", "S")],
                GlobalSecondaryIndexes: [.init(
                    IndexName: indexName, KeySchema: [.init("email", "HASH")],
                    Projection: .init(ProjectionType: "INCLUDE", NonKeyAttributes: Self.indexAttributes))],
                // The stream `uservault watch` follows: keys only, so no credential leaves the table through it.
                StreamSpecification: .init(StreamEnabled: true, StreamViewType: "KEYS_ONLY")))
        } catch let error as AWSError where error.code == "ResourceInUseException" {
            return false  // created concurrently
        } catch {
            throw Self.mapped(error, table: tableName)
        }
        for _ in 0..<120 {
            if try await dynamo.describeTable(tableName)?.TableStatus == "ACTIVE" { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        return true
    }

    public func insertUser(_ record: NewUserRecord) async throws {
        let user = Self.attributes(of: StoredItem(
            id: record.id, type: userItemType, firstname: record.attributes.firstname,
            lastname: record.attributes.lastname, email: record.attributes.email, username: record.attributes.username,
            createdAt: record.attributes.createdAt, credentials: .binary(record.credentials),
            credentialsKeyId: record.credentialsKeyId))
        let guardItem: DynamoDBItem = [
            "id": .s(EmailGuard.itemId(forEmail: record.attributes.email)), "type": .s(EmailGuard.itemType),
            "userId": .s(record.id),
        ]
        let notExists = "attribute_not_exists(#id)"
        do {
            try await dynamo.transactWriteItems([
                .init(Put: .init(TableName: tableName, Item: user, ConditionExpression: notExists,
                                 ExpressionAttributeNames: ["#id": "id"])),
                .init(Put: .init(TableName: tableName, Item: guardItem, ConditionExpression: notExists,
                                 ExpressionAttributeNames: ["#id": "id"])),
            ])
        } catch let error as AWSError where error.code == "TransactionCanceledException" {
            let reasons = error.cancellationReasons ?? []
            if reasons.count > 1, reasons[1] == "ConditionalCheckFailed" { throw UserTableError.duplicateEmail }
            if reasons.first == "ConditionalCheckFailed" { throw UserTableError.idExists }
            if reasons.contains(where: { $0 == "ThrottlingError" || $0 == "ProvisionedThroughputExceeded" }) {
                throw UserTableError.throttled()
            }
            throw UserTableError.conditionFailed("the create transaction was cancelled (\(reasons.joined(separator: ", ")))")
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    public func emailGuardHolder(email: String) async throws -> String? {
        do {
            let output = try await dynamo.getItem(.init(
                TableName: tableName, Key: ["id": .s(EmailGuard.itemId(forEmail: email))], ProjectionExpression: "#u",
                ExpressionAttributeNames: ["#u": "userId"], ConsistentRead: true))
            return output.Item?["userId"]?.stringValue
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    public func claimEmailGuard(email: String, userId: String) async throws -> String {
        let guardItem: DynamoDBItem = [
            "id": .s(EmailGuard.itemId(forEmail: email)), "type": .s(EmailGuard.itemType), "userId": .s(userId),
        ]
        do {
            try await dynamo.putItem(.init(TableName: tableName, Item: guardItem, ConditionExpression: "attribute_not_exists(#id)",
                                           ExpressionAttributeNames: ["#id": "id"]))
            return userId
        } catch let error as AWSError where error.code == "ConditionalCheckFailedException" {
            return try await emailGuardHolder(email: email) ?? ""
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    public func replaceCredentials(userId: String, expected: StoredCredentials?, expectedKeyId: String?, ciphertext: Data,
                                   keyId: String, createdAt: String?) async throws -> Bool {
        var values: DynamoDBItem = [":new": .b(ciphertext), ":key": .s(keyId), ":users": .s(userItemType)]
        // What the record must still hold: the value read, no value, or a value of the type read.
        let held: String
        switch expected {
        case nil:
            held = "attribute_not_exists(#c)"
        case .binary(let data)?:
            held = "#c = :old"
            values[":old"] = AttributeValue.b(data)
        case .string(let text)?:
            held = "#c = :old"
            values[":old"] = AttributeValue.s(text)
        case .other(let typeName)?:
            held = "attribute_type(#c, :old)"
            values[":old"] = AttributeValue.s(typeName)
        }
        if let expectedKeyId { values[":oldKey"] = .s(expectedKeyId) }
        var update = "SET #c = :new, #k = :key"
        if let createdAt {
            values[":created"] = .s(createdAt)
            update += ", #t = if_not_exists(#t, :created)"
        }
        do {
            try await dynamo.updateItem(.init(
                TableName: tableName, Key: ["id": .s(userId)], UpdateExpression: update,
                ConditionExpression: "#type = :users AND \(held) AND "
                    + (expectedKeyId == nil ? "attribute_not_exists(#k)" : "#k = :oldKey"),
                ExpressionAttributeNames: ["#c": "credentials", "#k": "credentialsKeyId", "#type": "type"]
                    .merging(createdAt == nil ? [:] : ["#t": "createdAt"]) { $1 },
                ExpressionAttributeValues: values))
            return true
        } catch let error as AWSError where error.code == "ConditionalCheckFailedException" {
            return false
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    public func user(id: String) async throws -> UserSummary? {
        do {
            let output = try await dynamo.getItem(.init(
                TableName: tableName, Key: ["id": .s(id)], ProjectionExpression: Self.publicProjection,
                ExpressionAttributeNames: Self.publicNames))
            guard let item = output.Item.map(Self.storedItem), item.isUser else { return nil }
            return item.summary
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    public func item(id: String) async throws -> StoredItem? {
        do {
            return try await dynamo.getItem(.init(TableName: tableName, Key: ["id": .s(id)], ConsistentRead: true))
                .Item.map(Self.storedItem)
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    public func users(withEmails emails: [String]) async throws -> [UserSummary] {
        var users: [UserSummary] = []
        var seen: Set<String> = []
        do {
            for email in emails {
                let query = DynamoDB.QueryInput(
                    TableName: tableName, IndexName: indexName, KeyConditionExpression: "#email = :email",
                    ExpressionAttributeNames: ["#email": "email"], ExpressionAttributeValues: [":email": .s(email)])
                for try await page in dynamo.queryPages(query) {
                    for item in (page.Items ?? []).map(Self.storedItem) where item.isUser && seen.insert(item.id).inserted {
                        if let summary = item.summary { users.append(summary) }
                    }
                }
            }
        } catch {
            throw Self.mapped(error, table: tableName)
        }
        return users.sorted { $0.id < $1.id }
    }

    public func scan(_ request: ScanRequest) async throws -> ScanPage {
        var names: [String: String] = [:]
        var values: DynamoDBItem = [:]
        var input = DynamoDB.ScanInput(TableName: tableName, Limit: request.limit)
        if request.totalSegments > 1 {
            input.Segment = request.segment
            input.TotalSegments = request.totalSegments
        }
        if let after = request.startAfter { input.ExclusiveStartKey = ["id": .s(after)] }
        switch request.projection {
        case .publicAttributes:
            input.ProjectionExpression = Self.publicProjection
            names.merge(Self.publicNames) { $1 }
        case .keyReferences:
            input.ProjectionExpression = "#id, #type, #k"
            names.merge(["#id": "id", "#type": "type", "#k": "credentialsKeyId"]) { $1 }
        case .full:
            break
        }
        if request.usersOnly {
            input.FilterExpression = "#type = :users"
            names["#type"] = "type"
            values[":users"] = .s(userItemType)
        }
        input.ExpressionAttributeNames = names.isEmpty ? nil : names
        input.ExpressionAttributeValues = values.isEmpty ? nil : values
        do {
            let output = try await dynamo.scan(input)
            return ScanPage(
                items: (output.Items ?? []).map(Self.storedItem),
                lastEvaluatedId: output.LastEvaluatedKey?["id"]?.stringValue,
                scannedCount: output.ScannedCount ?? output.Count ?? 0,
                consumedReadUnits: output.ConsumedCapacity?.CapacityUnits ?? 0)
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    public func unconditionalPut(_ item: StoredItem) async throws {
        do {
            try await dynamo.putItem(.init(TableName: tableName, Item: Self.attributes(of: item)))
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    /// From DescribeTable: the read capacity units of a provisioned table; `nil` on demand
    /// (`BillingModeSummary.BillingMode` is `PAY_PER_REQUEST`, or no units are provisioned).
    public func provisionedReadCapacity() async throws -> Double? {
        do {
            guard let table = try await dynamo.describeTable(tableName),
                  table.BillingModeSummary?.BillingMode != "PAY_PER_REQUEST",
                  let units = table.ProvisionedThroughput?.ReadCapacityUnits, units > 0
            else { return nil }
            return units
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    public func approximateItemCount() async throws -> Int? {
        do {
            return try await dynamo.describeTable(tableName)?.ItemCount
        } catch {
            throw Self.mapped(error, table: tableName)
        }
    }

    // MARK: - Items

    static func storedItem(_ attributes: DynamoDBItem) -> StoredItem {
        var item = StoredItem(
            id: attributes["id"]?.stringValue ?? "", type: attributes["type"]?.stringValue,
            firstname: attributes["firstname"]?.stringValue, lastname: attributes["lastname"]?.stringValue,
            email: attributes["email"]?.stringValue, username: attributes["username"]?.stringValue,
            createdAt: attributes["createdAt"]?.stringValue,
            credentialsKeyId: attributes["credentialsKeyId"]?.stringValue)
        item.credentials = storedCredentials(attributes["credentials"])
        return item
    }

    /// A `credentials` attribute as the core keeps it: binary, a string, or only another type's name.
    static func storedCredentials(_ value: AttributeValue?) -> StoredCredentials? {
        switch value {
        case nil: nil
        case .b(let data)?: .binary(data)
        case .s(let string)?: .string(string)
        case let other?: .other(typeName: other.typeName)
        }
    }

    static func attributes(of item: StoredItem) -> DynamoDBItem {
        var attributes: DynamoDBItem = ["id": .s(item.id)]
        let strings: [(String, String?)] = [
            ("type", item.type), ("firstname", item.firstname), ("lastname", item.lastname), ("email", item.email),
            ("username", item.username), ("createdAt", item.createdAt), ("credentialsKeyId", item.credentialsKeyId),
        ]
        for (name, value) in strings { if let value { attributes[name] = .s(value) } }
        switch item.credentials {
        case nil: break
        case .binary(let data)?: attributes["credentials"] = .b(data)
        case .string(let string)?: attributes["credentials"] = .s(string)
        case .other?: attributes["credentials"] = .n("0")
        }
        return attributes
    }

    /// The core's error for a DynamoDB failure (throttling → 503 in the API, a missing table → a clear line).
    static func mapped(_ error: any Error, table: String) -> any Error {
        guard let error = error as? AWSError else { return error }
        if error.isThrottling { return UserTableError.throttled(error.description) }
        if error.code == "ResourceNotFoundException" { return UserTableError.tableNotFound(table) }
        if error.isUnreachable { return UserTableError.unreachable(error.description) }
        if error.isTransient { return UserTableError.unavailable(error.description) }
        return error
    }
}
