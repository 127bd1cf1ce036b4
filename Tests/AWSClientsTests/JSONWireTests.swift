@testable import AWSClients
import Foundation
import Testing

/// The hand-written JSON of the hot path (``JSONReader``, ``JSONObjectWriter``) against
/// Foundation's: the same values in and out, and the same documents refused.
@Suite("JSON on the hot path")
struct JSONWireTests {
    /// A Scan answer with every AttributeValue type, escapes, non-ASCII text, numbers and
    /// members the reader does not know.
    static let scanAnswer = #"""
    { "Count": 2, "ScannedCount": 3, "Unknown": {"a": [1, 2.5e3, -0.5, true, false, null, "x"]},
      "Items": [
        {"id": {"S": "u-1"}, "email": {"S": "ren\u00e9e+\"quoted\"\\\/\n\t@example.com"},
         "emoji": {"S": "\ud83d\ude00 and 😀 and é"}, "n": {"N": "-12.5E+3"}, "b": {"B": "AAEC/w=="},
         "ok": {"BOOL": true}, "nothing": {"NULL": true},
         "m": {"M": {"inner": {"L": [{"S": "a"}, {"N": "1"}, {"M": {}}]}}},
         "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AA==", "AQ=="]}},
        {"id": {"S": "u-2"}}
      ],
      "LastEvaluatedKey": {"id": {"S": "u-2"}},
      "ConsumedCapacity": {"TableName": "users", "CapacityUnits": 128.5}
    }
    """#

    @Test("a Scan answer reads to exactly what JSONDecoder decodes")
    func scanAnswerMatchesFoundation() throws {
        let data = Data(Self.scanAnswer.utf8)
        let ours = try JSONReader.read(data) { try DynamoDB.ScanOutput(reading: &$0) }
        let foundation = try JSONCoding.decoder.decode(DynamoDB.ScanOutput.self, from: data)
        #expect(ours.Items == foundation.Items)
        #expect(ours.Items?.count == 2)
        #expect(ours.Items?.first?["email"] == .s("renée+\"quoted\"\\/\n\t@example.com"))
        #expect(ours.Items?.first?["emoji"] == .s("😀 and 😀 and é"))
        #expect(ours.Items?.first?["b"] == .b(Data([0, 1, 2, 255])))
        #expect(ours.Count == 2 && ours.ScannedCount == 3)
        #expect(ours.LastEvaluatedKey == foundation.LastEvaluatedKey)
        #expect(ours.ConsumedCapacity?.CapacityUnits == 128.5 && ours.ConsumedCapacity?.TableName == "users")
    }

    @Test("documents Foundation refuses are refused", arguments: [
        #"{"Items": []} x"#,                         // something after the document
        #"{"Items": [}"#,                            // unbalanced
        #"{"Count": 01}"#,                           // a leading zero
        #"{"Count": 1.}"#,                           // no digit after the point
        #"{"Items": [{"id": {"S": "a\qb"}}]}"#,      // an unknown escape
        #"{"Items": [{"id": {"S": "\ud83d"}}]}"#,    // a lone high surrogate
        "{\"Items\": [{\"id\": {\"S\": \"a\u{01}b\"}}]}",  // a raw control character
        #"{"Items": [{"id": {"S": "a", "N": "1"}}]}"#,  // two type keys in one value
        #"{"Items": [{"id": {"B": "not base64!"}}]}"#,
        #"{"Items": [{"id": {"S": "a"}}],}"#,        // a trailing comma
    ])
    func refused(_ text: String) {
        #expect(throws: (any Error).self) { try JSONReader.read(Data(text.utf8)) { try DynamoDB.ScanOutput(reading: &$0) } }
    }

    @Test("invalid UTF-8 in a string is refused")
    func invalidUTF8() {
        let bytes = Array(#"{"Items": [{"id": {"S": "a"#.utf8) + [0xC3, 0x28] + Array(#""}}]}"#.utf8)
        #expect(throws: (any Error).self) { try JSONReader.read(Data(bytes)) { try DynamoDB.ScanOutput(reading: &$0) } }
    }

    @Test("a ReEncrypt answer reads as JSONDecoder decodes it; a missing blob is refused")
    func reEncryptAnswer() throws {
        let data = Data(#"{"CiphertextBlob": "AQID", "SourceKeyId": "arn:k/1", "KeyId": "arn:k/1", "SourceKeyMaterialId": "m"}"#.utf8)
        let ours = try JSONReader.read(data) { try KMS.ReEncryptOutput(reading: &$0) }
        #expect(ours.CiphertextBlob == Data([1, 2, 3]) && ours.SourceKeyId == "arn:k/1" && ours.KeyId == "arn:k/1")
        #expect(throws: (any Error).self) {
            try JSONReader.read(Data(#"{"KeyId": "arn:k/1"}"#.utf8)) { try KMS.ReEncryptOutput(reading: &$0) }
        }
    }

    @Test("a written request body parses, with JSONSerialization, to the values written")
    func writerRoundTrips() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} renée 😀"
        var writer = JSONObjectWriter()
        writer.member("CiphertextBlob", base64: Data([0, 1, 2, 255]))
        writer.member("SourceKeyId", awkward)
        writer.member("Absent", nil as String?)
        writer.member("SourceEncryptionContext", ["userId": awkward, "b": "2"])
        writer.member("Empty", [String: String]())
        let parsed = try #require(try JSONSerialization.jsonObject(with: writer.finished()) as? [String: Any])
        #expect(Set(parsed.keys) == ["CiphertextBlob", "SourceKeyId", "SourceEncryptionContext"])
        #expect(parsed["CiphertextBlob"] as? String == "AAEC/w==")
        #expect(parsed["SourceKeyId"] as? String == awkward)
        #expect(parsed["SourceEncryptionContext"] as? [String: String] == ["userId": awkward, "b": "2"])
    }

    @Test("an AttributeValue with no type key, two, or an unknown one: both readers refuse it, ours naming the fault",
          arguments: [
              (#"{"id": {}}"#, "an AttributeValue with exactly one type key"),
              (#"{"id": {"S": "a", "N": "1"}}"#, "an AttributeValue with exactly one type key"),
              (#"{"id": {"SX": "a"}}"#, "an AttributeValue type key, not SX"),
          ])
    func attributeValueTypeKeys(item: String, reason: String) {
        let data = Data(item.utf8)
        let error = #expect(throws: JSONReader.Failure.self) { try JSONReader.read(data) { try DynamoDBItem(reading: &$0) } }
        #expect(error?.expected == reason)
        #expect(throws: DecodingError.self) { try JSONCoding.decoder.decode(DynamoDBItem.self, from: data) }
    }

    @Test("an AttributeValue's description is its type and size, never its value; typeName is DynamoDB's")
    func attributeValueRedacted() {
        let secret = "hunter2-secret"
        let values: [AttributeValue] = [.s(secret), .n("12345"), .b(Data(secret.utf8)), .bool(true), .null,
                                        .m(["k": .s(secret)]), .l([.s(secret)]), .ss([secret]), .ns(["12345"]),
                                        .bs([Data(secret.utf8)])]
        #expect(values.map(\.description) == ["S(14 bytes)", "N", "B(14 bytes)", "BOOL", "NULL", "M(1 keys)", "L(1)", "SS(1)",
                                              "NS(1)", "BS(1)"])
        #expect(values.map(\.typeName) == ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"])
        let item: DynamoDBItem = ["credentials": .s(secret), "n": .n("12345")]
        #expect(!"\(item)".contains(secret) && !"\(item)".contains("12345"))
        #expect(values.map(\.stringValue) == [secret] + Array(repeating: nil, count: 9))
    }
}
