// One request's client path — sign, encode, send over a kept-alive loopback connection, read the
// answer, decode — measured with ordo-one/benchmark: CPU and malloc counts per request. The
// answers come from `stand_in.py`, another process, so the counts are the client's alone.
import AWSClients
import AWSSigning
import Benchmark
import Foundation
import Logging

/// The stand-in server and the clients aimed at it, for the whole run.
final class Fixture: Sendable {
    let server: SpawnedProcess
    let transport: HTTP1Transport
    let kms: KMSClient
    let dynamoDB: DynamoDBClient

    init() throws {
        let script = try Bundle.module.url(forResource: "stand_in", withExtension: "py").unwrap("stand_in.py")
        let output = Pipe()
        server = SpawnedProcess()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", script.path]
        server.standardOutput = output
        server.standardInput = nil
        try server.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try line.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .unwrap("the stand-in's port (it printed \(line))")
        let transport = try HTTP1Transport()
        self.transport = transport
        let endpoint = try URL(string: "http://127.0.0.1:\(port)").unwrap("endpoint")
        let credentials = StaticCredentialProvider(AWSCredentials(accessKeyId: "AKIDBENCH", secretAccessKey: "bench"))
        func client(_ service: AWSService) -> AWSServiceClient {
            AWSServiceClient(service: service, endpoint: endpoint, region: "us-east-1", credentials: credentials,
                             transport: transport, logger: Logger(label: "bench"))
        }
        kms = KMSClient(client(.kms))
        dynamoDB = DynamoDBClient(client(.dynamoDB))
    }

    func stop() async throws {
        server.terminate()
        try await transport.shutdown()
    }
}

extension Optional {
    func unwrap(_ what: String) throws -> Wrapped {
        guard let self else { throw BenchmarkSetupError(description: "no \(what)") }
        return self
    }
}

struct BenchmarkSetupError: Error, CustomStringConvertible {
    var description: String
}

nonisolated(unsafe) var fixture: Fixture?

/// Each sample runs 1,000 requests (`scalingFactor`), and the figures are per request: CPU time
/// is counted in clock ticks, far coarser than one request.
func configuration(maxDuration: Duration = .seconds(10), samples: Int, network: Bool = true) -> Benchmark.Configuration {
    .init(metrics: [.cpuTotal, .wallClock, .mallocCountTotal, .throughput], timeUnits: .microseconds,
          scalingFactor: .kilo, maxDuration: maxDuration, maxIterations: samples,
          setup: network ? { fixture = try Fixture() } : nil,
          teardown: network ? { try await fixture?.stop() } : nil)
}

let benchmarks: @Sendable () -> Void = {

    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    let ciphertext = Data((0..<200).map { UInt8($0) })

    Benchmark("KMS ReEncrypt (the audit's proof): sign, encode, send, decode",
              configuration: configuration(samples: 30)) { benchmark in
        let kms = fixture!.kms
        for _ in benchmark.scaledIterations {
            blackHole(try await kms.reEncrypt(
                ciphertext: ciphertext, sourceKeyId: key, sourceContext: ["userId": "0000-aaaa"],
                destinationKeyId: key, destinationContext: ["userId": "0000-aaaa"]))
        }
    }

    Benchmark("DynamoDB Scan, a page of 1,000 users: sign, encode, send, decode",
              configuration: configuration(maxDuration: .seconds(30), samples: 3)) { benchmark in
        let dynamoDB = fixture!.dynamoDB
        for _ in benchmark.scaledIterations {
            blackHole(try await dynamoDB.scan(.init(TableName: "users", Segment: 0, TotalSegments: 16, Limit: 1_000)))
        }
    }

    Benchmark("SigV4: sign one ReEncrypt request's headers", configuration: configuration(samples: 30, network: false)) { benchmark in
        var signer = SigV4Signer(credentials: AWSCredentials(accessKeyId: "AKIDBENCH", secretAccessKey: "bench"),
                                 region: "us-east-1", service: "kms")
        signer.keyCache = SigningKeyCache()  // as the clients sign: the day's key derived once
        let url = URL(string: "https://kms.us-east-1.amazonaws.com/")!
        let body = Data(repeating: 0x61, count: 420)
        let headers = [(name: "Host", value: "kms.us-east-1.amazonaws.com"),
                       (name: "X-Amz-Target", value: "TrentService.ReEncrypt"),
                       (name: "Content-Type", value: "application/x-amz-json-1.1")]
        let date = Date()
        for _ in benchmark.scaledIterations {
            blackHole(signer.signHeaders(method: "POST", url: url, headers: headers, payload: .data(body), date: date,
                                         options: .standard))
        }
    }
}
