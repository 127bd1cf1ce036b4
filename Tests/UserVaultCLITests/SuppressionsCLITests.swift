import Foundation
import Testing
import TestSupport

/// `--suppressions`, end to end on the embedded store: the demo's planted defects with two of
/// them accepted, what every output says of them, their expiry under a clock the test sets
/// (`USERVAULT_NOW`); and a table of bad files, each refused before anything is opened.
@Suite("uservault audit --suppressions, end to end")
struct SuppressionsCLITests {
    /// `YYYY-MM-DD` of `date` (UTC).
    static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }

    /// Noon (UTC) of the day `days` after `date`'s, RFC 3339: a `USERVAULT_NOW`.
    static func noon(_ date: Date, plus days: Int) -> String {
        day(date.addingTimeInterval(Double(days) * 86_400)) + "T12:00:00Z"
    }

    static func rules(_ accepted: [(rule: String, code: String, user: String)], expires: String) -> String {
        "rules:\n" + accepted.map { rule, code, user in
            """
              - id: \(rule)
                codes: [\(code)]
                users: ["\(user)"]
                reason: "Accepted for the demo: \(code) of \(user.prefix(8)) is tracked in SEC-42."
                owner: security@example.com
                expires: \(expires)

            """
        }.joined()
    }

    static func findings(_ report: ReportFile) -> [(code: String, user: String, suppressed: [String: String]?)] {
        report.findings.map { ($0["code"] as? String ?? "", $0["userId"] as? String ?? "", $0["suppressed"] as? [String: String]) }
    }

    @Test("the demo's defects with two accepted: exit code and --fail-on ignore them; report.json, report.md, report.html, OCSF and EMF show them accepted; after the rule's day they count again and the rule is named")
    func demoAcceptance() async throws {
        let directory = try makeTemporaryDirectory("uservault-suppressions")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The demo's store: 1,000 users, 12 planted defects, seed 2026; its audit is deep.
        let seeded = try await runUserVault(["seed", "--users", "1000", "--defects", "12", "--seed", "2026", "--log-level", "warning"],
                                            in: directory)
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")
        let audit = ["audit", "--depth", "deep", "--progress", "never"]
        let plain = try await runUserVault(audit + ["--report-dir", "r0"], in: directory)
        #expect(plain.exitCode == 1, "\(plain.stderr)")
        let all = Self.findings(try latestReport(in: directory.appendingPathComponent("r0")))
        let high = try latestReport(in: directory.appendingPathComponent("r0")).findings.filter { $0["severity"] as? String == "high" }.count
        // Two high findings of two users, accepted by two rules.
        var chosen: [(rule: String, code: String, user: String)] = []
        for finding in all where !finding.user.isEmpty && !chosen.contains(where: { $0.user == finding.user }) && chosen.count < 2 {
            chosen.append(("accept-\(chosen.count + 1)", finding.code, finding.user))
        }
        #expect(chosen.count == 2 && high >= 4, "\(all)")
        let now = Date()
        let expires = Self.day(now.addingTimeInterval(30 * 86_400))
        try Self.rules(chosen, expires: expires).write(to: directory.appendingPathComponent("accepted.yaml"), atomically: true, encoding: .utf8)

        let run = try await runUserVault(audit + ["--report-dir", "r1", "--suppressions", "accepted.yaml", "--metrics", "emf"], in: directory)
        #expect(run.exitCode == 1, "\(run.stderr)")
        #expect(run.stderr.contains("\(high - 2) findings at or above high (2 more accepted)"), "\(run.stderr)")
        #expect(run.stdout.contains("\(all.count) findings") && run.stdout.contains("2 of them accepted"), "\(run.stdout)")
        let report = try latestReport(in: directory.appendingPathComponent("r1"))
        #expect(try await validateJSONDocuments([report.raw], schema: reportSchemaURL).isEmpty, "report.json follows its schema")
        let marked = Self.findings(report).filter { $0.suppressed != nil }
        #expect(Set(marked.map(\.user)) == Set(chosen.map(\.user)) && report.findings.count == all.count, "accepted findings stay")
        for (rule, code, user) in chosen {
            let mark = try #require(marked.first { $0.user == user && $0.code == code }?.suppressed)
            #expect(mark == ["rule": rule, "reason": "Accepted for the demo: \(code) of \(user.prefix(8)) is tracked in SEC-42.",
                             "owner": "security@example.com", "expires": expires])
        }
        let summary = report.object["suppressions"] as? [String: any Sendable] ?? [:]
        #expect(summary["accepted"] as? Int == 2 && summary["rules"] as? Int == 2 && summary["source"] as? String == "accepted.yaml")
        #expect((summary["expired"] as? [String]) == [] && (summary["stale"] as? [String]) == [])

        let markdown = try String(contentsOf: report.folder.appendingPathComponent("report.md"), encoding: .utf8)
        let section = try #require(markdown.range(of: "## Accepted findings"))
        for (rule, _, user) in chosen {
            #expect(markdown[section.upperBound...].contains("| \(user) |") && markdown[section.upperBound...].contains("`\(rule)`"))
        }
        #expect(markdown.contains("| accepted findings | 2 by 2 rules of accepted.yaml |"), "\(markdown.prefix(1500))")

        // report.html lists them in its accepted section with rule, reason and owner (the page in a
        // browser: ReportHTMLBrowserTests).
        let page = try String(contentsOf: report.folder.appendingPathComponent("report.html"), encoding: .utf8)
        let acceptedSection = try #require(page.range(of: #"<section id="accepted">"#))
        let acceptedPart = page[acceptedSection.upperBound...]
        let acceptedRows = String(acceptedPart[..<(acceptedPart.range(of: "</section>")?.lowerBound ?? acceptedPart.endIndex)])
        for (rule, _, user) in chosen {
            #expect(acceptedRows.contains("<code>\(rule)</code>") && acceptedRows.contains(user), "\(rule) in report.html: \(acceptedRows.prefix(2000))")
        }
        #expect(acceptedRows.components(separatedBy: "<tr><td>").count - 1 == 2, "two accepted rows: \(acceptedRows.prefix(2000))")

        let ocsf = report.folder.appendingPathComponent("findings.ocsf.json")
        let validation = try await validateOCSFFindings([ocsf])
        #expect(validation.problems.isEmpty && validation.events == all.count, "\(validation.problems)")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: ocsf)) as? [[String: Any]])
        let suppressedEvents = events.filter { $0["status_id"] as? Int == 3 }
        #expect(suppressedEvents.count == 2 && events.filter { $0["status_id"] as? Int == 1 }.count == all.count - 2)
        #expect(suppressedEvents.allSatisfy { ($0["comment"] as? String)?.hasPrefix("Accepted for the demo: ") == true })

        let emf = try #require(EMFDocument.all(in: run.stdout).first { $0.dimensionSets == [["Table", "Job"]] })
        #expect(emf.number("Suppressed") == 2 && emf.number("Findings") == Double(all.count), "\(emf.object)")

        // Every high finding accepted: nothing fails the run.
        let highs = report.findings.filter { $0["severity"] as? String == "high" }
        let codes = Set(highs.compactMap { $0["code"] as? String }).sorted()
        let users = Set(highs.compactMap { $0["userId"] as? String }).sorted()
        #expect(highs.count == high && highs.allSatisfy { $0["userId"] is String }, "every high finding names its user")
        let wide = "rules:\n" + """
              - id: all-of-the-demo
                codes: [\(codes.joined(separator: ", "))]
                users: [\(users.map { "\"\($0)\"" }.joined(separator: ", "))]
                reason: The demo's planted defects, accepted to show the exit code.
                owner: security@example.com
                expires: \(expires)

            """
        try wide.write(to: directory.appendingPathComponent("wide.yaml"), atomically: true, encoding: .utf8)
        let quiet = try await runUserVault(audit + ["--report-dir", "r2", "--suppressions", "wide.yaml", "--fail-on", "high"], in: directory)
        #expect(quiet.exitCode == 0, "every high finding accepted: \(quiet.stderr)")

        // Three days before the end: warned on stderr and in the report.
        let soon = try await runUserVault(audit + ["--report-dir", "r3", "--suppressions", "accepted.yaml"], environment: [
            "USERVAULT_NOW": Self.noon(now, plus: 27)], in: directory)
        #expect(soon.exitCode == 1 && soon.stderr.contains("suppression rule 'accept-1' expires on \(expires) (in 3 days)"), "\(soon.stderr)")
        let soonReport = try latestReport(in: directory.appendingPathComponent("r3"))
        #expect((soonReport.object["suppressions"] as? [String: any Sendable])?["expiringSoon"] as? [[String: String]]
            == [["rule": "accept-1", "expires": expires], ["rule": "accept-2", "expires": expires]])

        // The day after the end: the findings count again, the rules are named.
        let after = try await runUserVault(audit + ["--report-dir", "r4", "--suppressions", "accepted.yaml"], environment: [
            "USERVAULT_NOW": Self.noon(now, plus: 31)], in: directory)
        #expect(after.exitCode == 1, "\(after.stderr)")
        #expect(after.stderr.contains("\(high) findings at or above high") && !after.stderr.contains("accepted)"), "\(after.stderr)")
        #expect(after.stderr.contains("suppression rule 'accept-1' expired on \(expires)"), "\(after.stderr)")
        #expect(after.stdout.contains("expired suppression rules (their findings count again): accept-1, accept-2"), "\(after.stdout)")
        let expired = try latestReport(in: directory.appendingPathComponent("r4"))
        #expect(Self.findings(expired).allSatisfy { $0.suppressed == nil })
        #expect((expired.object["suppressions"] as? [String: any Sendable])?["expired"] as? [String] == ["accept-1", "accept-2"])
        let expiredMarkdown = try String(contentsOf: expired.folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(expiredMarkdown.contains("expired (their findings count again): accept-1, accept-2"))
    }

    /// A bad suppressions file and what the one line must say.
    struct BadFile: Sendable, CustomTestStringConvertible {
        var name: String
        var content: String?
        var says: String
        var testDescription: String { name }
    }

    static func badFiles(today: Date) -> [BadFile] {
        let expires = day(today.addingTimeInterval(30 * 86_400))
        func rule(_ replacing: String = "", with: String = "") -> String {
            let text = """
                rules:
                  - id: legacy
                    codes: [KEY_SHARED]
                    users: [u1]
                    reason: Shared on purpose until the batch service is retired.
                    owner: security@example.com
                    expires: \(expires)

                """
            return replacing.isEmpty ? text : text.replacingOccurrences(of: replacing, with: with)
        }
        return [
            .init(name: "malformed YAML", content: rule("codes: [KEY_SHARED]", with: "codes: [KEY_SHARED"), says: "malformed YAML"),
            .init(name: "unknown key", content: rule("owner:", with: "ownr:"), says: "unknown key 'ownr' in a rule (did you mean 'owner'?)"),
            .init(name: "missing reason", content: rule("    reason: Shared on purpose until the batch service is retired.\n"),
                  says: "rule 'legacy': 'reason' is missing"),
            .init(name: "missing owner", content: rule("    owner: security@example.com\n"), says: "rule 'legacy': 'owner' is missing"),
            .init(name: "missing expires", content: rule("    expires: \(expires)\n"), says: "rule 'legacy': 'expires' is missing"),
            .init(name: "expiry long past", content: rule(expires, with: day(today.addingTimeInterval(-60 * 86_400))),
                  says: "is in the past, more than 30 days ago"),
            .init(name: "expiry too far ahead", content: rule(expires, with: day(today.addingTimeInterval(400 * 86_400))),
                  says: "is more than 365 days ahead"),
            .init(name: "unknown code", content: rule("KEY_SHARED", with: "KEY_SHARD"), says: "unknown finding code 'KEY_SHARD' (did you mean 'KEY_SHARED'?)"),
            .init(name: "UNVERIFIABLE", content: rule("KEY_SHARED", with: "UNVERIFIABLE"), says: "UNVERIFIABLE cannot be accepted"),
            .init(name: "reason too short", content: rule("Shared on purpose until the batch service is retired.", with: "ok"),
                  says: "'reason' must be 10–500 characters"),
            .init(name: "empty file", content: "", says: "no rules"),
            .init(name: "no rule in the list", content: "rules: []\n", says: "'rules' is empty"),
            .init(name: "no user, key or table", content: rule("    users: [u1]\n"), says: "give users, keys or table"),
            .init(name: "no such file", content: nil, says: "cannot read the suppressions file bad.yaml: no such file"),
        ]
    }

    @Test("every bad suppressions file is exit 2 with one line, before the backend is opened: no request, no report")
    func badFiles() async throws {
        let directory = try makeTemporaryDirectory("uservault-suppressions-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cases = Self.badFiles(today: Date())
        #expect(cases.count >= 10)
        // The users live on "AWS" at a loopback server that counts every request it gets.
        try await withFaultServer([], otherwise: .ok()) { server in
            let environment = ["AWS_ENDPOINT_URL": server.endpoint.absoluteString, "AWS_REGION": "us-east-1",
                               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true"]
            for example in cases {
                let file = directory.appendingPathComponent("bad.yaml")
                try? FileManager.default.removeItem(at: file)
                if let content = example.content { try content.write(to: file, atomically: true, encoding: .utf8) }
                let run = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--suppressions", "bad.yaml"],
                                                 environment: environment, in: directory)
                #expect(run.exitCode == 2, "\(example.name): \(run.stderr)")
                let lines = run.stderr.split(separator: "\n")
                #expect(lines.count == 1 && lines.first?.contains(example.says) == true, "\(example.name): \(run.stderr)")
                #expect(run.stdout.isEmpty, "\(example.name): \(run.stdout)")
            }
            #expect(server.requestCount == 0, "nothing was scanned: no DynamoDB or KMS request")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("reports").path), "no report written")

        // The same check, whoever names the file: USERVAULT_SUPPRESSIONS, a job file's parameter; and on the
        // embedded store, before the store is opened (it does not exist: that would be the error otherwise).
        let bad = directory.appendingPathComponent("bad.yaml")
        try "rules: []\n".write(to: bad, atomically: true, encoding: .utf8)
        let environmentNamed = try await runUserVault(["audit", "--store", "absent.sqlite", "--progress", "never"],
                                                      environment: ["USERVAULT_SUPPRESSIONS": "bad.yaml"], in: directory)
        #expect(environmentNamed.exitCode == 2 && environmentNamed.stderr.contains("bad suppressions file: bad.yaml:1:8: 'rules' is empty"),
                "\(environmentNamed.stderr)")
        try #"{"job": "merge-reports", "arguments": ["w0", "w1"], "params": {"suppressions": "bad.yaml", "fail-when": "new"}}"#
            .write(to: directory.appendingPathComponent("merge.json"), atomically: true, encoding: .utf8)
        let jobFile = try await runUserVault(["run", "merge.json"], in: directory)
        #expect(jobFile.exitCode == 2 && jobFile.stderr.contains("'rules' is empty") && !jobFile.stderr.contains("w0"),
                "the file is checked before the workers' folders are read: \(jobFile.stderr)")
        try #"{"job": "audit", "params": {"suppressions": "bad.yaml", "progress": "never"}}"#
            .write(to: directory.appendingPathComponent("audit.json"), atomically: true, encoding: .utf8)
        let auditFile = try await runUserVault(["--store", "absent.sqlite", "run", "audit.json"], in: directory)
        #expect(auditFile.exitCode == 2 && auditFile.stderr.contains("'rules' is empty"), "\(auditFile.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("absent.sqlite").path))
        let help = try await runUserVault(["audit", "--help"])
        #expect(help.stdout.contains("--suppressions <file>") && help.stdout.contains("USERVAULT_NOW"), "\(help.stdout)")
        #expect(help.stdout.contains("--fail-when <fail-when>") && help.stdout.contains("--baseline <auto|none|report>"), "\(help.stdout)")
    }
}
