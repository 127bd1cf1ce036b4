import AWSBackend
import AWSClients
import Foundation
import Testing
import TestSupport
import UserVaultCore

/// The binary as the key-event function (`_HANDLER=key-events`) against the Runtime API stand-in,
/// on moto with Security Hub: EventBridge cannot invoke a function on moto and KMS calls there
/// emit no events, so each change is made with boto3 and its event, in the shape of AWS's
/// documentation (`Fixtures/kms-events/`), is given to the function.
@Suite("uservault on Lambda: the key-event handler", .serialized)
struct KeyEventHandlerTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TestSupport/Fixtures/kms-events")

    /// The fixture `name`, about `keyArn` (owned by `owner`).
    static func event(_ name: String, keyArn: String, owner: String = "") throws -> Data {
        let text = try String(contentsOf: fixtures.appendingPathComponent("\(name).json"), encoding: .utf8)
            .replacingOccurrences(of: "__KEY_ARN__", with: keyArn)
            .replacingOccurrences(of: "__KEY_ID__", with: KeyReference.bareKeyId(keyArn))
            .replacingOccurrences(of: "__ACCOUNT__", with: MotoServer.accountId)
            .replacingOccurrences(of: "__REGION__", with: MotoServer.region)
            .replacingOccurrences(of: "__OWNER__", with: owner)
        return Data(text.utf8)
    }

    static func hubId(_ userId: String, _ code: String) -> String {
        "uservault/aws/\(MotoServer.accountId)/\(MotoServer.region)/users/\(userId)/\(code)"
    }

    static func result(_ outcome: LambdaRuntimeStandIn.Outcome) throws -> [String: Any] {
        let data = try #require(outcome.response, "an invocation error: \(outcome)")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("each KMS event kind opens (DisableKey, ScheduleKeyDeletion, DeleteKey, PutKeyPolicy denying the proof, DisableKeyRotation) or resolves (EnableKey, CancelKeyDeletion, EnableKeyRotation) its user's finding, under the nightly audit's finding ids; a key without an owner tag gives nothing; a malformed event is an invocation error and the next is handled")
    func keyEvents() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-key-events")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runUserVault(["--backend", "aws", "init"], environment: moto.environment, in: directory).exitCode == 0)
            // Nine users, six with defects: the sixth kind is a disabled key.
            let seeded = try await runUserVault(["--backend", "aws", "seed", "--users", "9", "--defects", "6", "--seed", "5",
                                                 "--manifest", "defects.json", "--log-level", "warning"],
                                                environment: moto.environment, in: directory)
            #expect(seeded.exitCode == 0, "\(seeded.stderr)")
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("defects.json")))
                as? [String: Any]
            let defects = (manifest?["defects"] as? [[String: Any]]) ?? []
            let disabledUser = try #require(defects.first { $0["kind"] as? String == "disabled-key" }?["userId"] as? String)
            let defective = Set(defects.compactMap { $0["userId"] as? String })

            // A user whose key is gone (deleted: its tags with it): the nightly audit's KEY_NOT_FOUND names the key.
            let ghost = UUID().uuidString.lowercased()
            let ghostKey = "arn:aws:kms:\(MotoServer.region):\(MotoServer.accountId):key/\(UUID().uuidString.lowercased())"
            try await HTTP1Transport.withTransport { transport in
                try await MotoBackend(moto: moto, transport: transport).table.unconditionalPut(StoredItem(
                    id: ghost, type: userItemType, firstname: "Gone", lastname: "Key", email: "\(ghost)@example.com", username: "gone",
                    credentials: .binary(Data((0..<96).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) })), credentialsKeyId: ghostKey))
            }
            // The nightly audit publishes first: the handlers must update its findings, not add others.
            let nightly = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", "nightly",
                                                  "--publish-findings", "securityhub"], environment: moto.environment, in: directory)
            #expect(nightly.exitCode == 1, "\(nightly.stderr)")
            let nightlyIds = Set(try await securityHubFindings(moto).keys)
            #expect(nightlyIds.contains(Self.hubId(disabledUser, "KEY_DISABLED")) && nightlyIds.contains(Self.hubId(ghost, "KEY_NOT_FOUND")))

            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                var keys: [String: String] = [:]
                for id in try await StreamHandlerTests.users(backend).keys where !defective.contains(id) && id != ghost {
                    keys[id] = try await backend.table.item(id: id)?.credentialsKeyId
                }
                let clean = keys.keys.sorted()
                try #require(clean.count >= 3)
                let (user, other, third) = (clean[0], clean[1], clean[2])
                let (key, otherKey, thirdKey) = (keys[user]!, keys[other]!, keys[third]!)
                let disabledKey = try #require(try await backend.table.item(id: disabledUser)?.credentialsKeyId)

                let standIn = try await LambdaRuntimeStandIn.start()
                var environment = moto.environment
                environment["USERVAULT_BACKEND"] = "aws"
                environment["USERVAULT_PUBLISH_FINDINGS"] = "securityhub"
                // Each step: a change, its event; what the function printed for it.
                var printed = 0
                var output = ""
                let (_, all) = try await withLambdaFunction(handler: "key-events", store: "", standIn: standIn, in: directory,
                                                            environment: environment) {
                    func step(_ action: String?, _ keyArn: String, _ fixture: String, owner: String = "") async throws -> [String: Any] {
                        // moto takes bare key ids for key management.
                        if let action { try await kmsAdmin(moto, action, KeyReference.bareKeyId(keyArn), action == "tag-owner" ? owner : nil) }
                        return try Self.result(try await standIn.invoke(try Self.event(fixture, keyArn: keyArn, owner: owner)))
                    }
                    // The nightly audit's own finding, resolved by the key's re-enabling: archived, same id.
                    _ = try await step("enable", disabledKey, "EnableKey")
                    _ = try await step("disable", key, "DisableKey")
                    _ = try await step("enable", key, "EnableKey")
                    _ = try await step("schedule-deletion", key, "ScheduleKeyDeletion")
                    // Cancelling leaves the key disabled, as KMS does: pending deletion resolves, disabled opens.
                    _ = try await step("cancel-deletion", key, "CancelKeyDeletion")
                    _ = try await step("enable", key, "EnableKey")
                    // moto never deletes a key: the DeleteKey event finds it still pending deletion.
                    _ = try await step("schedule-deletion", otherKey, "DeleteKey")
                    let deletion = try await step(nil, otherKey, "KMS-CMK-Deletion")
                    #expect(deletion["users"] as? [String] == [other] && (deletion["opened"] as? [String])?.isEmpty == true)
                    _ = try await step("deny-proof", thirdKey, "PutKeyPolicy")
                    _ = try await step("allow-all", thirdKey, "PutKeyPolicy")
                    _ = try await step("disable-rotation", key, "DisableKeyRotation")
                    _ = try await step("enable-rotation", key, "EnableKeyRotation")
                    // An alias event: its key from detail.resources; without one, nothing to prove.
                    #expect(try await step(nil, key, "DeleteAlias")["users"] as? [String] == [user])
                    #expect(try await step(nil, key, "DeleteAlias-no-key")["ignored"] as? Bool == true)
                    // A key without an owner tag is not ours.
                    let untagged = try await step("untag-owner", key, "UntagResource")
                    #expect(untagged["ignored"] as? Bool == true && untagged["users"] == nil, "\(untagged)")
                    #expect(try await step("tag-owner", key, "TagResource", owner: user)["users"] as? [String] == [user])
                    // A deleted key has no owner tag left: the users whose open findings name it are proven again.
                    let gone = try await step(nil, ghostKey, "DeleteKey")
                    #expect(gone["users"] as? [String] == [ghost] && (gone["opened"] as? [String])?.isEmpty == true, "\(gone)")
                    // A malformed event is an invocation error, one line; the next one is handled.
                    let malformed = try await standIn.invoke(Data(#"{"detail-type": "AWS API Call via CloudTrail", "detail": 7}"#.utf8))
                    #expect(malformed.errorType == "InvalidEvent", "\(malformed)")
                    let notJSON = try await standIn.invoke(Data("not an event".utf8))
                    #expect(notJSON.errorType == "InvalidEvent")
                    _ = try await step("disable", key, "DisableKey-parameters-only")
                    _ = try await step("enable", key, "KMS-CMK-Rotation")
                    printed = 1
                }
                await standIn.stop()
                output = all
                #expect(printed == 1)
                let events = ContinuousOutput(output).events.map { "\($0.resolved ? "resolved" : "opened") \($0.code) \($0.userId)" }
                #expect(events == [
                    "resolved KEY_DISABLED \(disabledUser)",
                    "opened KEY_DISABLED \(user)", "resolved KEY_DISABLED \(user)",
                    "opened KEY_PENDING_DELETION \(user)",
                    "opened KEY_DISABLED \(user)", "resolved KEY_PENDING_DELETION \(user)",
                    "resolved KEY_DISABLED \(user)",
                    "opened KEY_PENDING_DELETION \(other)",
                    "opened UNVERIFIABLE \(third)", "resolved UNVERIFIABLE \(third)",
                    "opened KEY_ROTATION_DISABLED \(user)", "resolved KEY_ROTATION_DISABLED \(user)",
                    "opened KEY_DISABLED \(user)", "resolved KEY_DISABLED \(user)",
                ], "\(output)")
                #expect(output.split(separator: "\n").filter { $0.contains("invocation failed") }.count == 2,
                        "one line per malformed event")

                // One finding id per (user, code) across the nightly audit and the handlers; resolutions archived.
                let hub = try await securityHubFindings(moto)
                #expect(Set(hub.keys).isSuperset(of: nightlyIds))
                #expect(hub[Self.hubId(disabledUser, "KEY_DISABLED")] == "ARCHIVED", "the nightly audit's finding, resolved")
                for code in ["KEY_DISABLED", "KEY_PENDING_DELETION", "KEY_ROTATION_DISABLED"] {
                    #expect(hub[Self.hubId(user, code)] == "ARCHIVED", "\(code)")
                }
                #expect(hub[Self.hubId(other, "KEY_PENDING_DELETION")] == "ACTIVE")
                #expect(hub[Self.hubId(ghost, "KEY_NOT_FOUND")] == "ACTIVE", "still not found: the same finding")
                #expect(hub[Self.hubId(third, "UNVERIFIABLE")] == "ARCHIVED")
                let handlerIds = Set(hub.keys).subtracting(nightlyIds)
                #expect(handlerIds == [Self.hubId(user, "KEY_DISABLED"), Self.hubId(user, "KEY_PENDING_DELETION"),
                                       Self.hubId(user, "KEY_ROTATION_DISABLED"), Self.hubId(other, "KEY_PENDING_DELETION"),
                                       Self.hubId(third, "UNVERIFIABLE")], "\(handlerIds)")
            }
        }
    }
}
