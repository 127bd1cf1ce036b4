import Foundation
import LambdaRuntime

/// A KMS change as EventBridge delivers it, reduced to what the key-event handler needs: which
/// event, and which key.
///
/// - "AWS API Call via CloudTrail" (source `aws.kms`, `detail.eventSource` kms.amazonaws.com):
///   ``apiCalls`` (needs a CloudTrail trail in the account);
/// - "AWS Service Event via CloudTrail" `DeleteKey`: the deletion itself, done by KMS when the
///   waiting period ends;
/// - KMS's own "KMS CMK Deletion" and "KMS CMK Rotation" events.
///
/// The key's ARN is taken from `detail.resources[]` (type `AWS::KMS::Key`), else
/// `detail.responseElements.keyId`, else `detail.requestParameters.keyId`, else the event's
/// top-level `resources` (KMS's own events). An alias event carries only the alias name in its
/// parameters: its key comes from `detail.resources`, or it is not known (``keyId`` `nil`).
struct KMSKeyEvent: Sendable, Equatable {
    /// The CloudTrail API calls that change what a proof of a key's user finds.
    static let apiCalls: Set<String> = [
        "DisableKey", "EnableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "PutKeyPolicy", "DisableKeyRotation",
        "EnableKeyRotation", "TagResource", "UntagResource", "DeleteAlias",
    ]
    static let apiCallType = "AWS API Call via CloudTrail"
    static let serviceEventType = "AWS Service Event via CloudTrail"
    static let deletionType = "KMS CMK Deletion"
    static let rotationType = "KMS CMK Rotation"

    /// `detail-type`.
    var detailType: String
    /// The API call or service event (`DisableKey`, `DeleteKey`, ...); KMS's own events: their detail-type.
    var name: String
    /// The key's ARN (or id); `nil` when the event names none that can be resolved.
    var keyId: String?
    /// Whether the handler acts on it (a KMS change it knows); others are acknowledged and ignored.
    var handled: Bool

    /// - Throws: ``LambdaInvocationError`` `InvalidEvent` (one line) for anything that is not an
    ///   EventBridge event: not JSON, no `detail-type`, a `detail` that is not an object.
    static func parse(_ data: Data) throws -> KMSKeyEvent {
        guard let event = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LambdaInvocationError("InvalidEvent", "the event is not a JSON object")
        }
        guard let detailType = event["detail-type"] as? String else {
            throw LambdaInvocationError("InvalidEvent", "not an EventBridge event: no detail-type")
        }
        guard let detail = event["detail"] as? [String: Any] else {
            throw LambdaInvocationError("InvalidEvent", "the \(detailType) event has no detail object")
        }
        let topLevel = (event["resources"] as? [Any])?.compactMap { $0 as? String } ?? []
        switch detailType {
        case apiCallType, serviceEventType:
            guard let name = detail["eventName"] as? String else {
                throw LambdaInvocationError("InvalidEvent", "the \(detailType) event has no detail.eventName")
            }
            let kms = (detail["eventSource"] as? String) == "kms.amazonaws.com"
            let handled = kms && (detailType == apiCallType ? apiCalls.contains(name) : name == "DeleteKey")
            return KMSKeyEvent(detailType: detailType, name: name, keyId: key(detail: detail, topLevel: topLevel), handled: handled)
        case deletionType, rotationType:
            let fromDetail = (detail["key-id"] as? String).flatMap(keyReference)
            return KMSKeyEvent(detailType: detailType, name: detailType,
                               keyId: topLevel.first(where: isKeyARN) ?? fromDetail, handled: (event["source"] as? String) == "aws.kms")
        default:
            return KMSKeyEvent(detailType: detailType, name: detailType, keyId: nil, handled: false)
        }
    }

    /// The documented order: `detail.resources[]` of type `AWS::KMS::Key`, `responseElements.keyId`,
    /// `requestParameters.keyId`, the top-level `resources`.
    static func key(detail: [String: Any], topLevel: [String]) -> String? {
        let resources = (detail["resources"] as? [Any])?.compactMap { $0 as? [String: Any] } ?? []
        if let arn = resources.first(where: { ($0["type"] as? String) == "AWS::KMS::Key" })?["ARN"] as? String,
           let key = keyReference(arn) {
            return key
        }
        for section in ["responseElements", "requestParameters"] {
            if let value = (detail[section] as? [String: Any])?["keyId"] as? String, let key = keyReference(value) { return key }
        }
        return topLevel.first(where: isKeyARN)
    }

    /// A key's ARN or bare id; `nil` for an alias (`alias/name` or its ARN), which is not a key.
    static func keyReference(_ text: String) -> String? {
        let value = text.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, !value.hasPrefix("alias/"), !value.contains(":alias/") else { return nil }
        return value
    }

    static func isKeyARN(_ text: String) -> Bool {
        text.hasPrefix("arn:") && text.contains(":key/")
    }
}
