import Foundation
import LambdaRuntime
import Testing
import TestSupport
@testable import LambdaHandlers

/// Reading the KMS events EventBridge delivers (the fixtures are AWS's documented shapes).
@Suite("KMS key events")
struct KMSKeyEventTests {
    static let arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    static func parse(_ name: String) throws -> KMSKeyEvent {
        try KMSKeyEvent.parse(try KeyEventHandlerTests.event(name, keyArn: arn, owner: "u1"))
    }

    @Test("every fixture names its event and its key, by the documented order of places", arguments: [
        ("DisableKey", "DisableKey"), ("EnableKey", "EnableKey"), ("ScheduleKeyDeletion", "ScheduleKeyDeletion"),
        ("CancelKeyDeletion", "CancelKeyDeletion"), ("PutKeyPolicy", "PutKeyPolicy"), ("DisableKeyRotation", "DisableKeyRotation"),
        ("EnableKeyRotation", "EnableKeyRotation"), ("TagResource", "TagResource"), ("UntagResource", "UntagResource"),
        ("DeleteAlias", "DeleteAlias"), ("DisableKey-parameters-only", "DisableKey"), ("DeleteKey", "DeleteKey"),
        ("KMS-CMK-Deletion", "KMS CMK Deletion"), ("KMS-CMK-Rotation", "KMS CMK Rotation"),
    ])
    func fixtures(file: String, name: String) throws {
        let event = try Self.parse(file)
        #expect(event.name == name && event.handled)
        #expect(event.keyId == Self.arn)
    }

    @Test("an alias event without its key's ARN names no key; an alias is never taken for a key")
    func aliases() throws {
        #expect(try Self.parse("DeleteAlias-no-key").keyId == nil)
        #expect(KMSKeyEvent.keyReference("alias/users") == nil)
        #expect(KMSKeyEvent.keyReference("arn:aws:kms:us-east-1:123456789012:alias/users") == nil)
        #expect(KMSKeyEvent.keyReference("1234abcd-12ab-34cd-56ef-1234567890ab") == "1234abcd-12ab-34cd-56ef-1234567890ab")
    }

    @Test("a KMS call that changes nothing a proof sees, or another service's, is acknowledged and not acted on")
    func ignored() throws {
        let encrypt = try KeyEventHandlerTests.event("DisableKey", keyArn: Self.arn).replacing(#""eventName": "DisableKey""#, with: #""eventName": "Encrypt""#)
        #expect(try KMSKeyEvent.parse(encrypt).handled == false)
        let s3 = try KeyEventHandlerTests.event("DisableKey", keyArn: Self.arn)
            .replacing(#""eventSource": "kms.amazonaws.com""#, with: #""eventSource": "s3.amazonaws.com""#)
        #expect(try KMSKeyEvent.parse(s3).handled == false)
        #expect(try KMSKeyEvent.parse(Data(#"{"detail-type":"Scheduled Event","detail":{}}"#.utf8)).handled == false)
    }

    @Test("what cannot be parsed is an InvalidEvent", arguments: [
        "not json", "[]", #"{"detail":{}}"#, #"{"detail-type":"AWS API Call via CloudTrail","detail":7}"#,
        #"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"kms.amazonaws.com"}}"#,
    ])
    func malformed(text: String) {
        let error = #expect(throws: LambdaInvocationError.self) { try KMSKeyEvent.parse(Data(text.utf8)) }
        #expect(error?.errorType == "InvalidEvent")
    }
}

extension Data {
    fileprivate func replacing(_ old: String, with new: String) -> Data {
        Data(String(decoding: self, as: UTF8.self).replacingOccurrences(of: old, with: new).utf8)
    }
}
