import AWSClients
import AWSSigning
import EmbeddedStore
import Foundation
import Logging
import UserVaultCore

/// `uservault-bench watch-latency`: how long `uservault watch` takes from a write to its printed
/// line. Starts `uservault watch` (the binary beside this one) on the embedded store at STORE, or
/// on the AWS endpoint's table; then, one at a time, writes a user whose password is stored
/// readable (a CREDENTIALS_PLAINTEXT finding) and waits for the watch's line about it. The
/// latency of each is from the start of the write to the line in the watch's output (its stdout
/// file, polled every millisecond); prints p50, p99 and max over WRITES writes.
enum WatchLatency {
    static func run(_ arguments: [String]) async throws {
        try await HTTP1Transport.withTransport { transport in try await measure(arguments, transport: transport) }
    }

    static func measure(_ arguments: [String], transport: HTTP1Transport) async throws {
        // watch-latency embedded STORE [WRITES] | watch-latency aws ENDPOINT TABLE [WRITES]
        let aws = arguments[1] == "aws"
        let position = aws ? 4 : 3
        let writes = arguments.count > position ? Int(arguments[position]) ?? 100 : 100
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("watch-latency-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let output = work.appendingPathComponent("watch.stdout")
        let errors = work.appendingPathComponent("watch.stderr")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("uservault")
        let watch = Process()
        watch.executableURL = binary
        var environment = ProcessInfo.processInfo.environment
        let write: @Sendable (String) async throws -> Void
        if aws {
            environment["AWS_ENDPOINT_URL"] = arguments[2]
            for (name, value) in ["AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"]
                where environment[name] == nil {
                environment[name] = value
            }
            watch.arguments = ["--backend", "aws", "--table", arguments[3], "watch", "--state", work.appendingPathComponent("w.sqlite").path,
                               "--interval", "0.2", "--log-level", "warning"]
            let dynamo = DynamoDBClient(AWSServiceClient(
                service: .dynamoDB, endpoint: URL(string: arguments[2])!, region: "us-east-1",
                credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: "bench", secretAccessKey: "bench")),
                transport: transport, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }))
            let table = arguments[3]
            write = { id in
                try await dynamo.putItem(.init(TableName: table, Item: [
                    "id": .s(id), "type": .s("users"), "firstname": .s("Ada"), "lastname": .s("Lovelace"),
                    "email": .s("\(id)@example.com"), "username": .s("ada"), "credentials": .s("a readable password"),
                ]))
            }
        } else {
            let store = try EmbeddedStore(path: arguments[2])
            watch.arguments = ["--store", arguments[2], "watch", "--state", work.appendingPathComponent("w.sqlite").path,
                               "--log-level", "warning"]
            write = { id in
                try await store.table.unconditionalPut(StoredItem(
                    id: id, type: userItemType, firstname: "Ada", lastname: "Lovelace", email: "\(id)@example.com", username: "ada",
                    credentials: .string("a readable password")))
            }
        }
        watch.environment = environment
        watch.standardOutput = try FileHandle(forWritingTo: output)
        watch.standardError = try FileHandle(forWritingTo: errors)
        try watch.run()
        defer { if watch.isRunning { watch.terminate(); watch.waitUntilExit() } }
        // The watch is ready once its state holds a position: give it a first write and wait for its line.
        func lines() -> Int {
            ((try? Data(contentsOf: output)) ?? Data()).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        }
        func waitForLine(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while lines() < count {
                guard watch.isRunning, ContinuousClock.now < deadline else {
                    throw AWSConfigurationError("the watch printed no line: \((try? String(contentsOf: errors, encoding: .utf8)) ?? "")")
                }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        var warmedUp = false
        for _ in 0..<600 where !warmedUp {
            try await write(UUID().uuidString.lowercased())
            try await Task.sleep(for: .milliseconds(500))
            warmedUp = lines() > 0
        }
        try await waitForLine(1)
        var latencies: [Double] = []
        for _ in 0..<writes {
            let expected = lines() + 1
            let start = ContinuousClock.now
            try await write(UUID().uuidString.lowercased())
            try await waitForLine(expected)
            latencies.append((ContinuousClock.now - start).inSeconds * 1000)
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)] }
        print(String(format: "watch latency (%@), write to printed line, %d writes: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     aws ? "aws" : "embedded", writes, percentile(0.5), percentile(0.99), latencies.last ?? 0))
    }
}
