import Crypto
import Foundation
import GRDB
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `--checkpoint PATH` names this job's run state, and only that: a path holding anything else is
/// refused (exit 2, one line) and left byte-for-byte as it was — through the command line, a job
/// file and the Lambda job handler, for the audit, the export and a repair.
@Suite("Checkpoints never touch what is not this run's state")
struct CheckpointSafetyTests {
    /// What must not change: each of the file's bytes, and its journal's, WAL's and shared-memory
    /// index's (and whether they exist). The store is also the job's backend, which reads it
    /// through SQLite: for it, its bytes and its write-ahead log's, an absent log counting as empty.
    static func snapshot(_ path: String, isStore: Bool) -> [String] {
        func digest(_ data: Data) -> String { Hex.lowercase(SHA256.hash(data: data)) }
        if isStore {
            return [digest((FileManager.default.contents(atPath: path) ?? Data()) + (FileManager.default.contents(atPath: path + "-wal") ?? Data()))]
        }
        return ["", "-wal", "-journal", "-shm"].map { suffix in
            FileManager.default.contents(atPath: path + suffix).map { "\(suffix): " + digest($0) } ?? "\(suffix): absent"
        }
    }

    /// The foreign files, by name: the store itself, another database, a random file, another
    /// job's run state, and this job's with other parameters.
    static func foreignFiles(for job: String, store: String, in directory: URL) async throws -> [(name: String, path: String)] {
        let database = directory.appendingPathComponent("\(job)-other.sqlite").path
        let queue = try DatabaseQueue(path: database)
        try await queue.write { db in try db.execute(sql: "CREATE TABLE t (x); INSERT INTO t VALUES (42)") }
        try queue.close()

        let random = directory.appendingPathComponent("\(job)-random.bin").path
        FileManager.default.createFile(atPath: random, contents: Data((0..<4096).map { _ in UInt8.random(in: 0...255) }))

        func runState(_ name: String, of owner: String, parameters: [String: String]) throws -> String {
            let path = directory.appendingPathComponent("\(job)-\(name)").path
            _ = try RunState(path: path, fingerprint: .init(job: owner, backend: "embedded", table: "users", totalSegments: 1,
                                                            worker: .whole, parameters: parameters), resume: false)
            return path
        }
        let otherJob = try runState("other-job.checkpoint", of: job == "audit" ? "export" : "audit", parameters: [:])
        let otherParameters = try runState("other-parameters.checkpoint", of: job, parameters: ["depth": "never-used"])
        return [("the store", store), ("another database", database), ("a random file", random),
                ("another job's run state", otherJob), ("other parameters' run state", otherParameters)]
    }

    /// The job's command line and its job-file form.
    nonisolated(unsafe) static let jobs: [(job: String, arguments: [String], definition: [String: Any])] = [
        ("audit", ["audit"], ["job": "audit"]),
        ("export", ["export", "--output", "out/users.tar.gz"], ["job": "export", "output": "out/users.tar.gz"]),
        ("backfill", ["backfill", "email-guards"], ["job": "backfill", "arguments": ["email-guards"]]),
    ]

    static func seeded(_ label: String) async throws -> (directory: URL, store: String) {
        let directory = try makeTemporaryDirectory(label)
        #expect(try await runUserVault(["seed", "--users", "30", "--defects", "4", "--log-level", "warning"], in: directory).exitCode == 0)
        return (directory, directory.appendingPathComponent(".uservault/store.sqlite").path)
    }

    static func isRefusal(_ line: String) -> Bool {
        line.contains("is not a UserVault checkpoint") || line.contains("belongs to")
    }

    @Test("the command line and a job file: refused with exit 2 and one line, the file unchanged", arguments: [0, 1, 2])
    func commandLineAndJobFile(job index: Int) async throws {
        let (job, arguments, definition) = Self.jobs[index]
        let (directory, store) = try await Self.seeded("uservault-checkpoint-\(job)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, path) in try await Self.foreignFiles(for: job, store: store, in: directory) {
            let isStore = path == store
            let before = Self.snapshot(path, isStore: isStore)
            for resume in [true, false] {
                let line = arguments + ["--checkpoint", path, "--progress", "never"] + (resume ? ["--resume"] : [])
                let result = try await runUserVault(line, in: directory)
                #expect(result.exitCode == 2, "\(job), \(name), resume \(resume): \(result.stderr)")
                let errors = result.stderr.split(separator: "\n")
                #expect(errors.count == 1 && Self.isRefusal(result.stderr), "\(job), \(name): \(result.stderr)")
                #expect(Self.snapshot(path, isStore: isStore) == before, "\(job), \(name): the file changed")
            }
            var file = definition
            file["params"] = ["progress": "never"]
            file["checkpoint"] = path
            let jobFile = directory.appendingPathComponent("job.json")
            try JSONSerialization.data(withJSONObject: file).write(to: jobFile)
            let run = try await runUserVault(["run", jobFile.path], in: directory)
            #expect(run.exitCode == 2 && Self.isRefusal(run.stderr), "run JOBFILE, \(job), \(name): \(run.stderr)")
            #expect(Self.snapshot(path, isStore: isStore) == before, "run JOBFILE, \(job), \(name): the file changed")
        }
        #expect(try await runUserVault(["audit", "--progress", "never"], in: directory).exitCode == 1,
                "the store still holds its users and their planted defects")
    }

    @Test("the Lambda job handler: exit code 2 in the result, the file unchanged")
    func lambda() async throws {
        let (directory, store) = try await Self.seeded("uservault-checkpoint-lambda")
        defer { try? FileManager.default.removeItem(at: directory) }
        let standIn = try await LambdaRuntimeStandIn.start()
        _ = try await withLambdaFunction(handler: "job", store: store, standIn: standIn, in: directory,
                                         environment: ["USERVAULT_REPORT_DIR": directory.appendingPathComponent("r").path]) {
            for (job, _, definition) in Self.jobs {
                for (name, path) in try await Self.foreignFiles(for: job, store: store, in: directory) {
                    let isStore = path == store
                    let before = Self.snapshot(path, isStore: isStore)
                    var event = definition
                    event["params"] = ["progress": "never"]
                    event["checkpoint"] = path
                    let outcome = try await standIn.invoke(try JSONSerialization.data(withJSONObject: event))
                    let result = try LambdaJobTests.result(outcome)
                    #expect(result["exitCode"] as? Int == 2 && result["complete"] as? Bool == false, "\(job), \(name): \(result)")
                    #expect(Self.snapshot(path, isStore: isStore) == before, "Lambda, \(job), \(name): the file changed")
                }
            }
        }
        await standIn.stop()
        #expect(FileManager.default.fileExists(atPath: store))
    }
}
