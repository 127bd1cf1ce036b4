// The benchmark command: measures what the issues' speed sections name, in release builds.
// Never used by tests (no wall-clock thresholds there).
import AWSClients
import AWSSigning
import EmbeddedStore
import Foundation
import Logging
import UserVaultCore

@main
struct UserVaultBench {
    static let usage = """
        usage: uservault-bench fixture STORE USERS [SEED]
               uservault-bench scan STORE [SEGMENTS] [PAGE]
               uservault-bench aws-rps ENDPOINT getitem|describekey TARGET [REQUESTS] [IN_FLIGHT]
               uservault-bench watch-latency embedded STORE [WRITES]
               uservault-bench watch-latency aws ENDPOINT TABLE [WRITES]
               uservault-bench latency-fixture USERS [SCAN_DELAY_MS] [PAGE_ITEMS] [--store PATH] ...
                   [--kms-delay-ms N] [--item-delay-ms N] [--defects SHARE] [--quota NAME=N]... [--record-arrivals]
        """

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            switch arguments.first {
            case "fixture" where arguments.count >= 3:
                try await fixture(arguments)
            case "scan" where arguments.count >= 2:
                try await scan(arguments)
            case "aws-rps" where arguments.count >= 4:
                try await awsRequestsPerSecond(arguments)
            case "latency-fixture" where arguments.count >= 2:
                try await latencyFixture(arguments)
            case "watch-latency" where arguments.count >= 3 && (arguments[1] == "embedded" || arguments.count >= 4):
                try await WatchLatency.run(arguments)
            default:
                FileHandle.standardError.write(Data((usage + "\n").utf8))
                exit(2)
            }
        } catch {
            // A bad argument or a failed run: its message and exit 2, not a crash with a backtrace.
            FileHandle.standardError.write(Data("uservault-bench: \(error)\n".utf8))
            exit(2)
        }
    }

    /// A large embedded store, fast: synthetic users written like the create path writes them,
    /// thousands per transaction (``EmbeddedStore/bulkLoadSyntheticUsers(count:seed:batchSize:progress:)``).
    static func fixture(_ arguments: [String]) async throws {
        let store = try EmbeddedStore(path: arguments[1])
        let users = Int(arguments[2]) ?? 0
        let seed = arguments.count > 3 ? UInt64(arguments[3]) ?? 1 : 1
        let start = ContinuousClock.now
        try await store.bulkLoadSyntheticUsers(count: users, seed: seed) { done in
            if done % 100_000 == 0 { FileHandle.standardError.write(Data("  \(done) users\n".utf8)) }
        }
        print(String(format: "fixture: %d users in %.1f s", users, seconds(since: start)))
    }

    /// A full parallel segmented scan of the embedded store (full projection).
    static func scan(_ arguments: [String]) async throws {
        let store = try EmbeddedStore(path: arguments[1], configuration: .init(readOnly: true))
        let segments = arguments.count > 2 ? Int(arguments[2]) ?? 8 : 8
        let pageSize = arguments.count > 3 ? Int(arguments[3]) ?? 1000 : 1000
        let start = ContinuousClock.now
        let table = store.table
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for segment in 0..<segments {
                group.addTask {
                    var count = 0
                    var after: String?
                    repeat {
                        let page = try await table.scan(ScanRequest(
                            segment: segment, totalSegments: segments, startAfter: after, limit: pageSize, projection: .full))
                        count += page.items.count
                        after = page.lastEvaluatedId
                    } while after != nil
                    return count
                }
            }
            var sum = 0
            for try await count in group { sum += count }
            return sum
        }
        let seconds = seconds(since: start)
        print(String(format: "scan: %d users, %d segments, page %d: %.3f s, %.0f users/s",
                     total, segments, pageSize, seconds, Double(total) / seconds))
    }

    /// GetItem or DescribeKey against an endpoint (moto), `IN_FLIGHT` at once from one process:
    /// requests per second and client CPU per request.
    static func awsRequestsPerSecond(_ arguments: [String]) async throws {
        guard let endpoint = URL(string: arguments[1]) else { throw AWSConfigurationError("bad endpoint") }
        let operation = arguments[2]
        let target = arguments[3]
        let requests = arguments.count > 4 ? Int(arguments[4]) ?? 2000 : 2000
        let inFlight = arguments.count > 5 ? Int(arguments[5]) ?? 32 : 32
        let credentials = StaticCredentialProvider(AWSCredentials(accessKeyId: "bench", secretAccessKey: "bench"))
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        try await HTTP1Transport.withTransport { transport in
            func client(_ service: AWSService) -> AWSServiceClient {
                AWSServiceClient(service: service, endpoint: endpoint, region: "us-east-1", credentials: credentials,
                                 transport: transport, logger: logger)
            }
            let dynamo = DynamoDBClient(client(.dynamoDB))
            let kms = KMSClient(client(.kms))
            let call: @Sendable () async throws -> Void
            switch operation {
            case "getitem":
                let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
                call = { _ = try await dynamo.getItem(.init(TableName: parts[0], Key: ["id": .s(parts[1])])) }
            case "describekey":
                call = { _ = try await kms.describeKey(keyId: target) }
            default:
                throw AWSConfigurationError("operation must be getitem or describekey")
            }
            try await call()  // warm up
            let cpuStart = processCPUSeconds()
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                var issued = 0
                while issued < min(inFlight, requests) {
                    group.addTask { try await call() }
                    issued += 1
                }
                while try await group.next() != nil {
                    if issued < requests {
                        group.addTask { try await call() }
                        issued += 1
                    }
                }
            }
            let wall = seconds(since: start)
            let cpu = processCPUSeconds() - cpuStart
            print(String(format: "swift %@: %d requests, %d in flight: %.0f req/s, client CPU %.1f µs/request",
                         operation, requests, inFlight, Double(requests) / wall, cpu / Double(requests) * 1e6))
        }
    }

    /// Serves ``LatencyFixture`` on a loopback port until killed; prints `endpoint URL` first.
    ///
    /// Positional: USERS, the Scan page delay (ms, default 20), items per page (default 1,000).
    /// Options: `--kms-delay-ms N` (default 5), `--item-delay-ms N` (GetItem, default 5), `--defects SHARE` (keys in a bad state, 0–1),
    /// `--quota NAME=N` (an account quota, requests per second: `Cryptographic`, `DescribeKey`,
    /// ...; repeatable), `--record-arrivals` (for `GET /_fixture/stats`), `--store PATH` (serve the users
    /// of an embedded store, not synthetic ones: USERS is then their count).
    static func latencyFixture(_ arguments: [String]) async throws {
        let positional = arguments.dropFirst().prefix { !$0.hasPrefix("--") }.map { Int($0) }
        var fixture = LatencyFixture(
            users: positional.first.flatMap { $0 } ?? 10_000,
            scanDelay: .milliseconds(Int64(positional.dropFirst().first.flatMap { $0 } ?? 20)),
            pageItems: positional.dropFirst(2).first.flatMap { $0 } ?? 1000)
        var options = arguments.dropFirst(1 + positional.count).makeIterator()
        while let option = options.next() {
            switch option {
            case "--kms-delay-ms": fixture.kmsDelay = .milliseconds(Int64(options.next().flatMap(Int.init) ?? 5))
            case "--item-delay-ms": fixture.itemDelay = .milliseconds(Int64(options.next().flatMap(Int.init) ?? 5))
            case "--defects": fixture.defects = options.next().flatMap(Double.init) ?? 0
            case "--record-arrivals": fixture.recordArrivals = true
            case "--store":
                let stored = try await LatencyFixture.StoredUsers.load(path: options.next() ?? "")
                fixture.stored = stored
                fixture.users = stored.items.count
            case "--quota":
                let parts = (options.next() ?? "").split(separator: "=").map(String.init)
                guard parts.count == 2, let rate = Double(parts[1]), rate > 0 else {
                    throw AWSConfigurationError("--quota takes NAME=N, e.g. Cryptographic=5500")
                }
                fixture.quotas[parts[0]] = rate
            default:
                throw AWSConfigurationError("unknown latency-fixture option \(option)\n\(usage)")
            }
        }
        try await fixture.run { port in
            FileHandle.standardOutput.write(Data("endpoint http://127.0.0.1:\(port)\n".utf8))
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).inSeconds
    }

    /// User + system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
