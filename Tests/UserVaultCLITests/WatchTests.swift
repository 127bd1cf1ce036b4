import Foundation
import Testing
import TestSupport

/// `uservault watch`: a defect planted while it runs is reported (one line per finding opened),
/// on the embedded store and on moto; after kill -9 and a restart no change is lost and nothing
/// before the checkpoint is proven again; SIGTERM stops it cleanly.
@Suite("uservault watch", .serialized)
struct WatchTests {
    /// The codes planted defects of these kinds give.
    static let codes = ["plaintext-string": "CREDENTIALS_PLAINTEXT", "plaintext-bytes": "CREDENTIALS_PLAINTEXT",
                        "random-bytes": "NOT_KMS_CIPHERTEXT", "truncated-ciphertext": "NOT_KMS_CIPHERTEXT",
                        "missing-credentials": "CREDENTIALS_MISSING", "disabled-key": "KEY_DISABLED",
                        "pending-deletion-key": "KEY_PENDING_DELETION"]

    /// `seed` with planted defects; the `user|code` pairs their findings must be.
    static func seed(_ arguments: [String], users: Int, defects: Int, seed: Int, environment: [String: String] = [:],
                     in directory: URL) async throws -> Set<String> {
        let manifest = "defects-\(seed).json"
        let run = try await runUserVault(arguments + ["seed", "--users", "\(users)", "--defects", "\(defects)", "--seed", "\(seed)",
                                                      "--manifest", manifest, "--log-level", "warning"],
                                         environment: environment, in: directory)
        #expect(run.exitCode == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(manifest))) as? [String: Any]
        return Set(((object?["defects"] as? [[String: Any]]) ?? []).compactMap { defect in
            guard let user = defect["userId"] as? String, let code = codes[defect["kind"] as? String ?? ""] else { return nil }
            return "\(user)|\(code)"
        })
    }

    /// `opened SEVERITY CODE user ID...` lines as `ID|CODE`.
    static func opened(_ lines: [String]) -> [String] {
        lines.compactMap { line in
            let words = line.split(separator: " ")
            guard words.count >= 5, words[0] == "opened", words[3] == "user" else { return nil }
            return "\(words[4].trimmingCharacters(in: CharacterSet(charactersIn: ":")))|\(words[2])"
        }
    }

    /// The users the watch proved again, from its debug lines (`batch committed ... users=a,b`).
    static func proven(_ stderr: String) -> Set<String> {
        var users: Set<String> = []
        for line in stderr.split(separator: "\n") where line.contains("batch committed") {
            guard let range = line.range(of: #"users=[^ ]*"#, options: .regularExpression) else { continue }
            users.formUnion(line[range].dropFirst("users=".count).split(separator: ",").map(String.init))
        }
        return users
    }

    static func reproven(_ reports: URL) -> Int {
        (try? latestReport(in: reports, job: "watch"))?.int("users") ?? -1
    }

    /// The `user|code` pairs the rolling report holds open: written after each commit, so a
    /// finding there is committed.
    static func committed(_ reports: URL) -> Set<String> {
        Set(((try? latestReport(in: reports, job: "watch"))?.findings ?? []).compactMap { finding -> String? in
            guard let user = finding["userId"] as? String, let code = finding["code"] as? String else { return nil }
            return "\(user)|\(code)"
        })
    }

    @Test("embedded store: defects planted while it runs are reported, a key disabled too; kill -9 and a restart lose nothing and prove nothing before the checkpoint again; SIGTERM stops it (exit 0, report complete)")
    func embedded() async throws {
        let directory = try makeTemporaryDirectory("uservault-watch")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "3", "--log-level", "warning"], in: directory).exitCode == 0)
        let reports = directory.appendingPathComponent("reports")
        let arguments = ["watch", "--state", "watch.sqlite", "--report-dir", reports.path, "--log-level", "debug"]

        let first = try WatchProcess.start(arguments, in: directory)
        defer { first.killIfRunning() }
        try await first.wait(for: "start") { first.errors.contains("watch starts") }
        let planted = try await Self.seed([], users: 5, defects: 2, seed: 1, in: directory)
        #expect(planted.count == 2)
        try await first.wait(for: "two findings") { Self.opened(first.lines).count >= 2 }
        // Committed once the rolling report (written after each commit) holds them and counts the five users.
        try await first.wait(for: "the commit") { Self.committed(reports) == planted && Self.reproven(reports) >= 5 }
        #expect(Set(Self.opened(first.lines)) == planted && first.lines.count == 2, "\(first.output)")
        let before = Self.proven(first.errors)
        try await first.kill9()

        // While it is down: more users, with defects of six kinds (a disabled key among them).
        let later = try await Self.seed([], users: 7, defects: 6, seed: 2, in: directory)
        #expect(later.count == 6 && later.contains { $0.hasSuffix("|KEY_DISABLED") })
        let second = try WatchProcess.start(arguments, in: directory)
        defer { second.killIfRunning() }
        try await second.wait(for: "the six findings") { Set(Self.opened(second.lines)) == later }
        try await second.wait(for: "the commit") { Self.committed(reports) == planted.union(later) && Self.reproven(reports) >= 5 + 7 }
        #expect(second.errors.contains("watch continues from its checkpoint"))
        #expect(Self.opened(second.lines).count == 6, "one line each: \(second.output)")
        let again = Self.proven(second.errors)
        #expect(again.isDisjoint(with: before), "nothing before the checkpoint is proven again: \(again.intersection(before))")
        #expect(again.count == 7, "the seven new users, each once: \(again)")
        #expect(try await second.stop() == 0)
        let report = try latestReport(in: reports, job: "watch")
        #expect(report.complete == true)
        #expect(Self.committed(reports) == planted.union(later), "the rolling report holds the findings open now")
    }

    @Test("moto: a defect planted while it follows the stream is reported; kill -9 and a restart lose nothing")
    func moto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-watch-moto")
            defer { try? FileManager.default.removeItem(at: directory) }
            let aws = ["--backend", "aws"]
            #expect(try await runUserVault(aws + ["init"], environment: moto.environment, in: directory).exitCode == 0)
            #expect(try await runUserVault(aws + ["seed", "--users", "2", "--log-level", "warning"],
                                           environment: moto.environment, in: directory).exitCode == 0)
            let reports = directory.appendingPathComponent("reports")
            let arguments = aws + ["watch", "--state", "watch.sqlite", "--interval", "0.2", "--report-dir", reports.path,
                                   "--log-level", "debug"]
            let first = try WatchProcess.start(arguments, environment: moto.environment, in: directory)
            defer { first.killIfRunning() }
            try await first.wait(for: "start") { first.errors.contains("watch starts") }
            let planted = try await Self.seed(aws, users: 3, defects: 1, seed: 3, environment: moto.environment, in: directory)
            try await first.wait(for: "the finding") { !Self.opened(first.lines).isEmpty }
            try await first.wait(for: "the commit") { Self.committed(reports) == planted && Self.reproven(reports) >= 3 }
            #expect(Set(Self.opened(first.lines)) == planted, "\(first.output)")
            let before = Self.proven(first.errors)
            try await first.kill9()

            let later = try await Self.seed(aws, users: 2, defects: 1, seed: 4, environment: moto.environment, in: directory)
            let second = try WatchProcess.start(arguments, environment: moto.environment, in: directory)
            defer { second.killIfRunning() }
            try await second.wait(for: "the finding after the restart") { Set(Self.opened(second.lines)) == later }
            try await second.wait(for: "the commit") { Self.committed(reports) == planted.union(later) && Self.reproven(reports) >= 3 + 2 }
            let again = Self.proven(second.errors)
            #expect(again.count == 2 && again.isDisjoint(with: before), "\(again) after \(before)")
            #expect(try await second.stop() == 0)
        }
    }
}
