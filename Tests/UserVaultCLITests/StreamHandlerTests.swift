import AWSBackend
import AWSClients
import Foundation
import Testing
import TestSupport
import UserVaultCore

/// The binary as the stream function (`_HANDLER=stream`) against the Runtime API stand-in, on
/// moto: the table's stream is read with GetRecords (moto consumes it when a mapping is
/// attached) and delivered as Lambda's event source mapping delivers it.
@Suite("uservault on Lambda: the stream handler", .serialized)
struct StreamHandlerTests {
    /// Runs the stream function on moto until `body` returns; its output read back.
    static func withStreamFunction<Result>(_ moto: MotoServer, in directory: URL, environment extra: [String: String] = [:],
                                           _ body: (LambdaRuntimeStandIn) async throws -> Result) async throws -> (Result, ContinuousOutput) {
        let standIn = try await LambdaRuntimeStandIn.start()
        var environment = moto.environment
        environment["USERVAULT_BACKEND"] = "aws"
        let (result, output) = try await withLambdaFunction(handler: "stream", store: "", standIn: standIn, in: directory,
                                                            environment: environment.merging(extra) { $1 }) {
            try await body(standIn)
        }
        await standIn.stop()
        return (result, ContinuousOutput(output))
    }

    static func failures(_ outcome: LambdaRuntimeStandIn.Outcome) throws -> [String] {
        let data = try #require(outcome.response, "an invocation error: \(outcome)")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let failures = try #require(object["batchItemFailures"] as? [[String: String]], "\(object)")
        return failures.compactMap { $0["itemIdentifier"] }
    }

    /// The users on moto's table now, by id.
    static func users(_ backend: MotoBackend) async throws -> [String: StoredItem] {
        var users: [String: StoredItem] = [:]
        var after: String?
        repeat {
            let page = try await backend.table.scan(ScanRequest(startAfter: after, limit: 100, projection: .full))
            for item in page.items where item.isUser { users[item.id] = item }
            after = page.lastEvaluatedId
        } while after != nil
        return users
    }

    static func seed(_ count: Int, _ moto: MotoServer, in directory: URL) async throws {
        let seeded = try await runUserVault(["--backend", "aws", "seed", "--users", "\(count)", "--log-level", "warning"],
                                            environment: moto.environment, in: directory)
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")
    }

    @Test("a batch with a plaintext write, a good write and a MODIFY that breaks a ciphertext gives exactly the two findings; delivered twice (Security Hub), no duplicate finding; a REMOVE gives none")
    func batch() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-stream")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runUserVault(["--backend", "aws", "init"], environment: moto.environment, in: directory).exitCode == 0)
            try await Self.seed(2, moto, in: directory)
            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                let stream = MotoStream(moto: moto, transport: transport, table: "users")
                let before = try await Self.users(backend)
                let mark = try #require(try await stream.lastSequence(), "init creates the table with a stream")

                // 1. A legacy writer stores a plaintext password.
                let plaintext = UUID().uuidString.lowercased()
                try await backend.table.unconditionalPut(StoredItem(
                    id: plaintext, type: userItemType, firstname: "Ada", lastname: "Lovelace", email: "ada-\(plaintext)@example.com",
                    username: "ada", credentials: .string("correct horse battery")))
                // 2. A good write, through the real create path.
                try await Self.seed(1, moto, in: directory)
                // 3. A MODIFY that breaks a genuine ciphertext (cut in half).
                var broken = try #require(before.values.sorted { $0.id < $1.id }.first)
                guard case .binary(let ciphertext)? = broken.credentials else { Issue.record("no ciphertext"); return }
                // Cut in half, past the first byte that is not printable: moto's ciphertext begins with its key id in ASCII.
                let binary = ciphertext.firstIndex { !(0x20...0x7E).contains($0) } ?? 0
                broken.credentials = .binary(ciphertext.prefix(max(ciphertext.count / 2, binary - ciphertext.startIndex + 1)))
                try await backend.table.unconditionalPut(broken)

                let records = try await stream.records(after: mark)
                #expect(Set(records.compactMap(\.eventName)) == ["INSERT", "MODIFY"], "\(records.map(\.eventName))")
                let event = try await stream.event(records)
                let expected: Set<String> = ["\(plaintext)|CREDENTIALS_PLAINTEXT", "\(broken.id)|NOT_KMS_CIPHERTEXT"]

                let (outcome, output) = try await Self.withStreamFunction(moto, in: directory) { try await $0.invoke(event) }
                #expect(try Self.failures(outcome).isEmpty, "findings are not failures")
                #expect(ContinuousOutput.pairs(output.opened) == expected && output.events.count == 2, "\(output.events)")
                let metrics = try #require(output.metrics.first { $0["Job"] as? String == "stream" })
                #expect(metrics["Events"] as? Int == records.count && metrics["Reproven"] as? Int == 3, "\(metrics)")
                #expect(metrics["Findings"] as? Int == 2 && metrics["Failures"] as? Int == 0)

                // Delivered twice, with Security Hub as the memory: one finding per (user, code).
                let (twice, published) = try await Self.withStreamFunction(
                    moto, in: directory, environment: ["USERVAULT_PUBLISH_FINDINGS": "securityhub"]
                ) { standIn in
                    let first = try await standIn.invoke(event)
                    let second = try await standIn.invoke(event)
                    return (try Self.failures(first), try Self.failures(second))
                }
                #expect(twice.0.isEmpty && twice.1.isEmpty)
                #expect(ContinuousOutput.pairs(published.opened) == expected && published.opened.count == 2,
                        "the second delivery opens nothing: \(published.events)")
                let hub = try await securityHubFindings(moto)
                let ids = Set(expected.map { pair -> String in
                    let parts = pair.split(separator: "|")
                    return "uservault/aws/\(MotoServer.accountId)/\(MotoServer.region)/users/\(parts[0])/\(parts[1])"
                })
                #expect(Set(hub.keys) == ids && hub.values.allSatisfy { $0 == "ACTIVE" }, "\(hub)")

                // A REMOVE needs no proof.
                let removeMark = try #require(try await stream.lastSequence())
                try await stream.dynamo.batchWriteItem(table: "users", requests: [.init(DeleteRequest: .init(Key: ["id": .s(plaintext)]))])
                let removal = try await stream.records(after: removeMark)
                #expect(removal.map(\.eventName) == ["REMOVE"])
                let (removed, quiet) = try await Self.withStreamFunction(moto, in: directory) { try await $0.invoke(try await stream.event(removal)) }
                #expect(try Self.failures(removed).isEmpty && quiet.events.isEmpty, "\(quiet.events)")
                #expect(quiet.metrics.first?["Reproven"] as? Int == 0)
            }
        }
    }

    @Test("a KMS fault on the 3rd record of 5 gives batchItemFailures naming exactly the 3rd record's sequence number")
    func partialBatch() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-stream-fault")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runUserVault(["--backend", "aws", "init"], environment: moto.environment, in: directory).exitCode == 0)
            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                let stream = MotoStream(moto: moto, transport: transport, table: "users")
                try await Self.seed(5, moto, in: directory)
                // The five users' INSERTs (not their email guards'), in stream order.
                let records = try await stream.records().filter {
                    $0.eventName == "INSERT" && !($0.dynamodb?.Keys?["id"]?.stringValue ?? "").hasPrefix(EmailGuard.idPrefix)
                }
                try #require(records.count == 5)
                let third = try #require(records[2].dynamodb?.Keys?["id"]?.stringValue)
                let key = try #require(try await backend.table.item(id: third)?.credentialsKeyId)
                let proxy = try await PythonHelper.start("throttling_proxy.py", label: "throttling-proxy") { portFile, _ in
                    [portFile.path, String(moto.port), KeyReference.bareKeyId(key)]
                }
                let (outcome, output) = try await Self.withStreamFunction(
                    moto, in: directory, environment: ["AWS_ENDPOINT_URL_KMS": proxy.endpoint.absoluteString, "AWS_MAX_ATTEMPTS": "2"]
                ) { try await $0.invoke(try await stream.event(records)) }
                await proxy.stop()
                #expect(try Self.failures(outcome) == [try #require(records[2].dynamodb?.SequenceNumber)])
                #expect(output.events.isEmpty, "a throttled key is no finding: \(output.events)")
                let metrics = try #require(output.metrics.first { $0["Job"] as? String == "stream" })
                #expect(metrics["Reproven"] as? Int == 2 && metrics["Failures"] as? Int == 3, "\(metrics)")
            }
        }
    }
}
