import Foundation

/// What a continuous proof printed (the `stream` and `key-events` functions, `uservault watch
/// --format ocsf`): its OCSF Detection Finding lines and its EMF lines, from the process's output.
public struct ContinuousOutput: Sendable {
    /// One OCSF line: the finding's code, user, and whether it opened or resolved.
    public struct Event: Sendable, Hashable {
        public var code: String
        public var userId: String
        public var resolved: Bool
        public var uid: String
        /// OCSF `status`: New, Suppressed (accepted), Resolved.
        public var status: String = ""
    }

    public var events: [Event] = []
    /// EMF lines, as JSON objects.
    public var metrics: [[String: any Sendable]] = []

    public init(_ output: String) {
        for line in output.split(separator: "\n") where line.hasPrefix("{") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: any Sendable] else { continue }
            if object["class_uid"] as? Int == 2004 {
                let info = object["finding_info"] as? [String: any Sendable] ?? [:]
                let user = (object["resources"] as? [[String: any Sendable]])?.first { $0["type"] as? String == "UserVault user" }
                events.append(Event(code: (info["analytic"] as? [String: any Sendable])?["uid"] as? String ?? "",
                                    userId: user?["uid"] as? String ?? "", resolved: object["status_id"] as? Int == 4,
                                    uid: info["uid"] as? String ?? "", status: object["status"] as? String ?? ""))
            } else if object["_aws"] != nil {
                metrics.append(object)
            }
        }
    }

    public var opened: [Event] { events.filter { !$0.resolved } }
    public var resolved: [Event] { events.filter(\.resolved) }

    /// `(user, code)` pairs, to compare as sets.
    public static func pairs(_ events: [Event]) -> Set<String> { Set(events.map { "\($0.userId)|\($0.code)" }) }
}

/// The findings of the Security Hub on `moto` (`Fixtures/security_hub.py`): `Id` → record state.
public func securityHubFindings(_ moto: MotoServer) async throws -> [String: String] {
    try await securityHubWorkflows(moto).mapValues(\.state)
}

/// The Security Hub findings on `moto`, by `Id`: their `RecordState`, `Workflow` and the note's
/// author (`NoteBy`), as boto3 reads them back.
public func securityHubWorkflows(_ moto: MotoServer) async throws -> [String: (state: String, workflow: String, noteBy: String)] {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/security_hub.py")
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
    environment.merge(moto.environment) { $1 }
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "findings"],
                                           environment: environment)
    guard result.status == 0 else { throw LoopbackError(description: String(decoding: result.stderr, as: UTF8.self)) }
    var findings: [String: (state: String, workflow: String, noteBy: String)] = [:]
    for line in String(decoding: result.stdout, as: UTF8.self).split(separator: "\n") {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
              let id = object["Id"] as? String else { continue }
        findings[id] = (object["RecordState"] as? String ?? "", object["Workflow"] as? String ?? "", object["NoteBy"] as? String ?? "")
    }
    return findings
}

/// Changes a KMS key on `moto` as an operator would (`Fixtures/kms_admin.py ACTION KEY [VALUE]`).
public func kmsAdmin(_ moto: MotoServer, _ action: String, _ keyId: String, _ value: String? = nil) async throws {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/kms_admin.py")
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
    environment.merge(moto.environment) { $1 }
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, action, keyId] + (value.map { [$0] } ?? []),
                                           environment: environment)
    guard result.status == 0 else {
        throw LoopbackError(description: "kms_admin.py \(action) failed: \(String(decoding: result.stderr, as: UTF8.self))")
    }
}
