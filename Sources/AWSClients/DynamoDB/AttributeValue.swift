import Foundation

/// A DynamoDB attribute value, the full model: S, N, B, BOOL, NULL, M, L, SS, NS, BS.
///
/// Encodes to and decodes from DynamoDB's JSON (`{"S": "x"}`, `{"B": "<base64>"}`, …).
/// [AttributeValue](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html)
public enum AttributeValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case s(String)
    /// Numbers travel as strings, exactly.
    case n(String)
    case b(Data)
    case bool(Bool)
    case null
    case m([String: AttributeValue])
    case l([AttributeValue])
    case ss([String])
    case ns([String])
    case bs([Data])

    private enum Key: String, CodingKey {
        case S, N, B, BOOL, NULL, M, L, SS, NS, BS
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard let key = container.allKeys.first, container.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "an AttributeValue has exactly one type key"))
        }
        switch key {
        case .S: self = .s(try container.decode(String.self, forKey: key))
        case .N: self = .n(try container.decode(String.self, forKey: key))
        case .B: self = .b(try container.decode(Data.self, forKey: key))
        case .BOOL: self = .bool(try container.decode(Bool.self, forKey: key))
        case .NULL: self = .null
        case .M: self = .m(try container.decode([String: AttributeValue].self, forKey: key))
        case .L: self = .l(try container.decode([AttributeValue].self, forKey: key))
        case .SS: self = .ss(try container.decode([String].self, forKey: key))
        case .NS: self = .ns(try container.decode([String].self, forKey: key))
        case .BS: self = .bs(try container.decode([Data].self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .s(let value): try container.encode(value, forKey: .S)
        case .n(let value): try container.encode(value, forKey: .N)
        case .b(let value): try container.encode(value, forKey: .B)
        case .bool(let value): try container.encode(value, forKey: .BOOL)
        case .null: try container.encode(true, forKey: .NULL)
        case .m(let value): try container.encode(value, forKey: .M)
        case .l(let value): try container.encode(value, forKey: .L)
        case .ss(let value): try container.encode(value, forKey: .SS)
        case .ns(let value): try container.encode(value, forKey: .NS)
        case .bs(let value): try container.encode(value, forKey: .BS)
        }
    }

    /// The DynamoDB type name: `S`, `N`, `B`, …
    public var typeName: String {
        switch self {
        case .s: "S"
        case .n: "N"
        case .b: "B"
        case .bool: "BOOL"
        case .null: "NULL"
        case .m: "M"
        case .l: "L"
        case .ss: "SS"
        case .ns: "NS"
        case .bs: "BS"
        }
    }

    public var stringValue: String? {
        if case .s(let value) = self { return value }
        return nil
    }

    /// Redacted: the type and size only, never the value (items may hold credentials).
    public var description: String {
        switch self {
        case .s(let value): "S(\(value.utf8.count) bytes)"
        case .b(let value): "B(\(value.count) bytes)"
        case .n: "N"
        case .bool: "BOOL"
        case .null: "NULL"
        case .m(let value): "M(\(value.count) keys)"
        case .l(let value): "L(\(value.count))"
        case .ss(let value): "SS(\(value.count))"
        case .ns(let value): "NS(\(value.count))"
        case .bs(let value): "BS(\(value.count))"
        }
    }
}

/// An item: attribute name → value.
public typealias DynamoDBItem = [String: AttributeValue]

extension AttributeValue: JSONReadable {
    /// Reads DynamoDB's JSON for a value (`{"S": "x"}`), as ``init(from:)`` decodes it.
    init(reading json: inout JSONReader) throws {
        var value: AttributeValue?
        var keys = 0
        try json.object(matching: Self.typeKeys) { json, key in
            keys += 1
            value = try Self.value(ofType: key, reading: &json)
        }
        guard let value, keys == 1 else {
            throw JSONReader.Failure(offset: 0, expected: "an AttributeValue with exactly one type key")
        }
        self = value
    }

    /// Reads the value of type key `key` (a position in ``typeKeys``; `nil`: an unknown key).
    static func value(ofType key: Int?, reading json: inout JSONReader) throws -> AttributeValue {
        switch key {
        case 0: return .s(try json.string())
        case 1: return .n(try json.string())
        case 2: return .b(try Self.base64(json.string()))
        case 3: return .bool(try json.bool())
        case 4:
            _ = try json.bool()
            return .null
        case 5: return .m(try DynamoDBItem(reading: &json))
        case 6:
            var list: [AttributeValue] = []
            try json.array { list.append(try AttributeValue(reading: &$0)) }
            return .l(list)
        case 7, 8:
            var strings: [String] = []
            try json.array { strings.append(try $0.string()) }
            return key == 7 ? .ss(strings) : .ns(strings)
        case 9:
            var blobs: [Data] = []
            try json.array { blobs.append(try Self.base64($0.string())) }
            return .bs(blobs)
        default:
            throw JSONReader.Failure(offset: 0, expected: "an AttributeValue type key, not \(json.currentMemberName)")
        }
    }

    /// The type keys (their UTF-8), in the order ``init(reading:)`` and ``skip(reading:)`` tell them apart.
    static let typeKeys = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"].map { Array($0.utf8) }

    private static func base64(_ text: String) throws -> Data {
        guard let data = Data(base64Encoded: text) else {
            throw JSONReader.Failure(offset: 0, expected: "base64 in a B value")
        }
        return data
    }
}

extension DynamoDBItem {
    /// Reads an item (attribute name → value).
    init(reading json: inout JSONReader) throws {
        // Room for a user record's attributes at once: growing from empty rehashed three times an item.
        var item = DynamoDBItem(minimumCapacity: 12)
        try json.object { json, name in item[name] = try AttributeValue(reading: &json) }
        self = item
    }
}
