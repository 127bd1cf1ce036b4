import AWSBackend
import AWSClients
import Foundation
import Testing
import TestSupport
import UserVaultCore

/// Accepted findings in the continuous proofs (issue #26, point 3): the suppressions file the
/// nightly audit reads is applied by the `stream` handler and by `watch` as by the audit — an
/// accepted finding is still reported, marked (OCSF status Suppressed, Security Hub SUPPRESSED
/// under the nightly audit's `Id`, the watch's line), is not counted in the EMF `Findings` and
/// `Opened`, and is opened again, unaccepted, once its rule has ended. A bad file: watch exits 2
/// before following anything; a handler fails each invocation with one line, and goes on.
@Suite("continuous proofs: accepted findings", .serialized)
struct ContinuousSuppressionsTests {
    /// One rule accepting `code`, for `users` or for the whole `table`, through `expires`.
    static func rule(_ id: String, code: String, users: [String]? = nil, table: String? = nil, expires: String) -> String {
        var text = """
            rules:
              - id: \(id)
                codes: [\(code)]

            """
        if let users { text += "    users: [\(users.map { "\"\($0)\"" }.joined(separator: ", "))]\n" }
        if let table { text += "    table: \(table)\n" }
        return text + """
                reason: "Tracked in SEC-42: the legacy writer is being retired."
                owner: security@example.com
                expires: \(expires)

            """
    }

    /// The Security Hub `Id` the nightly audit gives (user, code) on moto's `users` table.
    static func hubId(_ userId: String, _ code: String) -> String {
        "uservault/aws/\(MotoServer.accountId)/\(MotoServer.region)/users/\(userId)/\(code)"
    }

    @Test("stream handler on moto: of two findings, the accepted one is an OCSF line with status Suppressed, left out of the EMF Findings and Opened, imported to Security Hub SUPPRESSED under the nightly audit's Id (which the nightly audit keeps); after its rule's day it opens again, New and counted, and Security Hub has it NEW; a bad file fails each invocation with one line")
    func streamHandler() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-stream-accepted")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runUserVault(["--backend", "aws", "init"], environment: moto.environment, in: directory).exitCode == 0)
            try await StreamHandlerTests.seed(1, moto, in: directory)
            let now = Date()
            let today = SuppressionsCLITests.noon(now, plus: 0)
            let file = directory.appendingPathComponent("accepted.yaml")
            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                let stream = MotoStream(moto: moto, transport: transport, table: "users")
                let before = try await StreamHandlerTests.users(backend)
                let mark = try #require(try await stream.lastSequence(), "init creates the table with a stream")

                // Two findings: a plaintext write (accepted below) and a ciphertext broken by a MODIFY (not).
                let plaintext = UUID().uuidString.lowercased()
                try await backend.table.unconditionalPut(StoredItem(
                    id: plaintext, type: userItemType, firstname: "Ada", lastname: "Lovelace", email: "ada-\(plaintext)@example.com",
                    username: "ada", credentials: .string("correct horse battery")))
                var broken = try #require(before.values.first)
                guard case .binary(let ciphertext)? = broken.credentials else { Issue.record("no ciphertext"); return }
                let binary = ciphertext.firstIndex { !(0x20...0x7E).contains($0) } ?? 0
                broken.credentials = .binary(ciphertext.prefix(max(ciphertext.count / 2, binary - ciphertext.startIndex + 1)))
                try await backend.table.unconditionalPut(broken)
                let event = try await stream.event(try await stream.records(after: mark))

                // The rule ends in ten days.
                let expires = SuppressionsCLITests.day(now.addingTimeInterval(10 * 86_400))
                try Self.rule("legacy-writer", code: "CREDENTIALS_PLAINTEXT", users: [plaintext], expires: expires)
                    .write(to: file, atomically: true, encoding: .utf8)
                let environment = ["USERVAULT_SUPPRESSIONS": file.path, "USERVAULT_PUBLISH_FINDINGS": "securityhub", "USERVAULT_NOW": today]
                let (outcome, output) = try await StreamHandlerTests.withStreamFunction(moto, in: directory, environment: environment) {
                    try await $0.invoke(event)
                }
                #expect(try StreamHandlerTests.failures(outcome).isEmpty)
                let statuses = Dictionary(output.opened.map { ("\($0.userId)|\($0.code)", $0.status) }, uniquingKeysWith: { $1 })
                #expect(statuses == ["\(plaintext)|CREDENTIALS_PLAINTEXT": "Suppressed", "\(broken.id)|NOT_KMS_CIPHERTEXT": "New"],
                        "\(output.events)")
                let metrics = try #require(output.metrics.first { $0["Job"] as? String == "stream" })
                #expect(metrics["Findings"] as? Int == 1 && metrics["Opened"] as? Int == 1 && metrics["Suppressed"] as? Int == 1,
                        "the accepted finding is not counted: \(metrics)")
                let accepted = Self.hubId(plaintext, "CREDENTIALS_PLAINTEXT"), other = Self.hubId(broken.id, "NOT_KMS_CIPHERTEXT")
                var hub = try await securityHubWorkflows(moto)
                #expect(Set(hub.keys) == [accepted, other], "\(hub.keys)")
                #expect(hub[accepted]?.workflow == "SUPPRESSED" && hub[accepted]?.noteBy == "uservault:legacy-writer", "\(hub)")
                #expect(hub[other]?.workflow == "NEW" && hub.values.allSatisfy { $0.state == "ACTIVE" }, "\(hub)")

                // The nightly audit, with the same file, publishes under the same ids and keeps the acceptance.
                let audit = try await runUserVault(["--backend", "aws", "audit", "--publish-findings", "securityhub", "--suppressions",
                                                    file.path, "--progress", "never", "--report-dir", "reports"],
                                                   environment: moto.environment.merging(["USERVAULT_NOW": today]) { $1 }, in: directory)
                #expect(audit.exitCode == 1 && audit.stdout.contains("2 findings") && audit.stdout.contains("1 of them accepted"),
                        "\(audit.stdout)\(audit.stderr)")
                hub = try await securityHubWorkflows(moto)
                #expect(Set(hub.keys) == [accepted, other] && hub[accepted]?.workflow == "SUPPRESSED", "\(hub)")

                // Twelve days later the rule has ended: the same records opens it again, unaccepted, and counted.
                let later = environment.merging(["USERVAULT_NOW": SuppressionsCLITests.noon(now, plus: 12)]) { $1 }
                let (again, reopened) = try await StreamHandlerTests.withStreamFunction(moto, in: directory, environment: later) {
                    try await $0.invoke(event)
                }
                #expect(try StreamHandlerTests.failures(again).isEmpty)
                #expect(reopened.opened.map { "\($0.userId)|\($0.code)|\($0.status)" } == ["\(plaintext)|CREDENTIALS_PLAINTEXT|New"],
                        "\(reopened.events)")
                let counted = try #require(reopened.metrics.first { $0["Job"] as? String == "stream" })
                #expect(counted["Findings"] as? Int == 2 && counted["Opened"] as? Int == 1 && counted["Suppressed"] as? Int == 0, "\(counted)")
                hub = try await securityHubWorkflows(moto)
                #expect(hub[accepted]?.workflow == "NEW" && hub[accepted]?.noteBy == "uservault", "no rule accepts it any more: \(hub)")

                // A bad file: each invocation is an error of one line, and the function goes on.
                let bad = directory.appendingPathComponent("bad.yaml")
                try "rules: [".write(to: bad, atomically: true, encoding: .utf8)
                let (errors, log) = try await StreamHandlerTests.withStreamFunction(
                    moto, in: directory, environment: environment.merging(["USERVAULT_SUPPRESSIONS": bad.path]) { $1 }
                ) { standIn in
                    [try await standIn.invoke(event), try await standIn.invoke(event)]
                }
                for outcome in errors {
                    guard case .error(let type, let body) = outcome else {
                        Issue.record("not an invocation error: \(outcome)")
                        continue
                    }
                    let message = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["errorMessage"] as? String ?? ""
                    #expect(type == "InvalidSuppressions" && message.hasPrefix("bad suppressions file: ") && !message.contains("\n"),
                            "\(type): \(message)")
                }
                #expect(log.events.isEmpty, "nothing proven with a bad file: \(log.events)")
            }
        }
    }

    @Test("watch on the embedded store with --suppressions: the accepted defects' lines are marked accepted, the other's is not; the rolling report carries the mark; a bad file is exit 2, one line, before anything is followed")
    func watch() async throws {
        let directory = try makeTemporaryDirectory("uservault-watch-accepted")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "3", "--log-level", "warning"], in: directory).exitCode == 0)
        let expires = SuppressionsCLITests.day(Date().addingTimeInterval(30 * 86_400))
        try Self.rule("plaintext-known", code: "CREDENTIALS_PLAINTEXT", table: "users", expires: expires)
            .write(to: directory.appendingPathComponent("accepted.yaml"), atomically: true, encoding: .utf8)

        // A bad file: one line, exit 2, and no state: nothing was followed.
        try "rules:\n  - id: x\n".write(to: directory.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let refused = try await runUserVault(["watch", "--state", "refused.sqlite", "--suppressions", "bad.yaml"], in: directory)
        #expect(refused.exitCode == 2 && refused.stderr.hasPrefix("uservault: error: bad suppressions file: "), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("refused.sqlite").path))

        let reports = directory.appendingPathComponent("reports")
        let watch = try WatchProcess.start(["watch", "--state", "watch.sqlite", "--report-dir", reports.path, "--log-level", "debug",
                                            "--suppressions", "accepted.yaml"], in: directory)
        defer { watch.killIfRunning() }
        try await watch.wait(for: "start") { watch.errors.contains("watch starts") }
        // Three defects: two plaintext ones (accepted), one random-bytes one (not).
        let planted = try await WatchTests.seed([], users: 4, defects: 3, seed: 7, in: directory)
        #expect(planted.count == 3 && planted.filter { $0.hasSuffix("|CREDENTIALS_PLAINTEXT") }.count == 2, "\(planted)")
        try await watch.wait(for: "three findings") { Set(WatchTests.opened(watch.lines)) == planted }
        try await watch.wait(for: "the commit") { WatchTests.committed(reports) == planted }
        let mark = "; accepted (rule plaintext-known, owner security@example.com, until \(expires))"
        for line in watch.lines {
            #expect(line.contains("CREDENTIALS_PLAINTEXT") == line.hasSuffix(mark), "\(line)")
        }
        #expect(try await watch.stop() == 0)
        let report = try latestReport(in: reports, job: "watch")
        let marked = report.findings.filter { ($0["suppressed"] as? [String: String])?["rule"] == "plaintext-known" }
        #expect(marked.count == 2 && marked.allSatisfy { $0["code"] as? String == "CREDENTIALS_PLAINTEXT" }, "\(report.findings)")
    }
}
