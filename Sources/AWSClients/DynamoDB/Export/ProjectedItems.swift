import Foundation

/// Items read with only some of their attributes kept: for each item, the value of each of
/// ``names`` (by position; `nil` when the item lacks it), and, with a ``Filter``, only the items
/// it keeps. Every attribute and every item is still read and checked as DynamoDB JSON; what is
/// not kept is passed over without being built.
///
/// This is how an export's lines are read on the hot path: a table export holds every attribute
/// of every item, and building each as a `[String: AttributeValue]` only to pick seven strings
/// out of half of them was most of the reader's CPU (a dictionary, a hash and a `String` per
/// attribute, the items copied on their way to the page).
///
/// ```swift
/// var items = ProjectedItems(names: ["id", "type", "email"], filter: .init(name: "type", value: "users"))
/// // reader.next(limit: 1000, into: &items)
/// for item in 0..<items.count { let email = items[item, 2]?.stringValue }
/// ```
public struct ProjectedItems: Sendable {
    /// Keeps the items whose attribute `name` is the string `value` (a DynamoDB
    /// `FilterExpression` `#name = :value`; `name` need not be kept).
    public struct Filter: Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The attributes kept, in the order of their values.
    public let names: [String]
    public let filter: Filter?
    /// The items read, kept or not (DynamoDB's `ScannedCount`).
    public private(set) var scanned = 0
    private var values: [AttributeValue?] = []
    /// The line being read: its kept attributes as read, by position in ``wanted``.
    private var read: [Read?] = []
    /// What the reader looks for: ``names``, then the filter's attribute when it is not one of them, as UTF-8.
    private let wanted: [[UInt8]]
    /// Where the filter's attribute is in ``wanted``.
    private let filterIndex: Int
    private let filterValue: [UInt8]

    public init(names: [String], filter: Filter? = nil) {
        self.names = names
        self.filter = filter
        var wanted = names
        if let filter, !names.contains(filter.name) { wanted.append(filter.name) }
        self.wanted = wanted.map { Array($0.utf8) }
        filterIndex = filter.flatMap { wanted.firstIndex(of: $0.name) } ?? 0
        filterValue = Array((filter?.value ?? "").utf8)
    }

    /// How many items are kept.
    public var count: Int { names.isEmpty ? 0 : values.count / names.count }

    public var isEmpty: Bool { count == 0 }

    /// The value of attribute `attribute` (a position in ``names``) of item `item`.
    public subscript(item: Int, attribute: Int) -> AttributeValue? {
        values[item * names.count + attribute]
    }

    /// A kept attribute as read: a string's place in the line (made only when its item is kept),
    /// or any other value.
    private enum Read {
        case string(JSONReader.StringToken)
        case value(AttributeValue)
    }

    /// Reads one `{"Item": {…}}` line from `json`, and keeps its item when the filter does.
    mutating func append(reading json: inout JSONReader) throws {
        scanned += 1
        if values.isEmpty { values.reserveCapacity(names.count * 1024) }
        read.removeAll(keepingCapacity: true)
        read.append(contentsOf: repeatElement(nil, count: wanted.count))
        var line = try json.beginObject()
        var items = 0
        while let member = try json.member(of: &line, matching: Self.itemMember) {
            guard member != nil, items == 0 else { throw JSONReader.Failure(offset: 0, expected: "one member, Item") }
            items += 1
            var attributes = try json.beginObject()
            while let name = try json.member(of: &attributes, matching: wanted) {
                if let name {
                    read[name] = try Self.read(&json)
                } else {
                    try AttributeValue.skip(reading: &json)
                }
            }
        }
        guard items == 1 else { throw JSONReader.Failure(offset: 0, expected: "an Item member") }
        if filter != nil {
            switch read[filterIndex] {
            case .string(let token)?: guard json.equals(token, filterValue) else { return }
            case .value(.s(let text))?: guard text.utf8.elementsEqual(filterValue) else { return }
            default: return
            }
        }
        for index in 0..<names.count {
            switch read[index] {
            case .string(.plain(let range))?: values.append(.s(json.text(of: range)))
            case .string(.decoded(let text))?: values.append(.s(text))
            case .value(let value)?: values.append(value)
            case nil: values.append(nil)
            }
        }
    }

    /// One AttributeValue; an `S` one as its place in the line.
    private static func read(_ json: inout JSONReader) throws -> Read {
        var read: Read?
        var keys = 0
        var members = try json.beginObject()
        while let key = try json.member(of: &members, matching: AttributeValue.typeKeys) {
            keys += 1
            read = key == 0 ? .string(try json.stringToken()) : .value(try AttributeValue.value(ofType: key, reading: &json))
        }
        guard let read, keys == 1 else {
            throw JSONReader.Failure(offset: 0, expected: "an AttributeValue with exactly one type key")
        }
        return read
    }

    private static let itemMember = [Array("Item".utf8)]
}

extension AttributeValue {
    /// Reads past one AttributeValue, checking its shape as ``init(reading:)`` does — exactly one
    /// type key, a value of that type's JSON kind, nested ones likewise — without building it.
    /// (A `B` value passed over is checked to be a string, not decoded from base64.)
    static func skip(reading json: inout JSONReader) throws {
        var keys = 0
        var members = try json.beginObject()
        while let key = try json.member(of: &members, matching: typeKeys) {
            keys += 1
            switch key {
            case 0, 1, 2: _ = try json.stringToken()
            case 3, 4: _ = try json.bool()
            case 5: try json.object { json, _ in try skip(reading: &json) }
            case 6: try json.array { try skip(reading: &$0) }
            case 7, 8, 9: try json.array { _ = try $0.stringToken() }
            default: throw JSONReader.Failure(offset: 0, expected: "an AttributeValue type key, not \(json.currentMemberName)")
            }
        }
        guard keys == 1 else {
            throw JSONReader.Failure(offset: 0, expected: "an AttributeValue with exactly one type key")
        }
    }
}
