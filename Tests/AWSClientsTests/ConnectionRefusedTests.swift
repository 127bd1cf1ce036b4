import AWSClients
import Foundation
import Testing
import TestSupport

/// A closed port answers a connection attempt at once with a refusal: the SDKs fail that attempt
/// then and there, and so must we — no waiting out the connect timeout.
@Suite("Refused connections")
struct ConnectionRefusedTests {
    /// A client aimed at a loopback port nobody listens on; `backoffs` counts the jitter draws
    /// (one per retry), which are 0 so no retry waits.
    static func refusingClient(host: String, port: Int, transport: HTTP1Transport, backoffs: Recorded<Int>, counters: RequestCounters,
                               contacts: EndpointContacts = EndpointContacts()) -> KMSClient {
        let retry = RetryStrategy(mode: .standard, maxAttempts: 3, jitter: {
            backoffs.append(1)
            return 0
        })
        return KMSClient(AWSServiceClient(
            service: .kms, endpoint: URL(string: "http://\(host):\(port)")!, region: "us-east-1",
            credentials: StaticCredentialProvider(FaultServer.credentials), transport: transport, retry: retry,
            timeout: .seconds(30), counters: counters, contacts: contacts, logger: .silent))
    }

    /// `localhost` resolves to 127.0.0.1 and ::1: every address refuses (NIO's `NIOConnectionError`).
    static func refusedError(host: String = "127.0.0.1") async throws -> (error: AWSError, port: Int, attempts: Int, backoffs: Int) {
        // Outside the kernel's ephemeral range (32768–60999) and moto's (20000–29999): a server
        // another test binds to port 0 can never take it between our check and the attempts (a
        // full run once got an HTTP 404 on the second attempt from such a server).
        let port = try freeLoopbackPort(in: 10_000..<20_000)
        let backoffs = Recorded<Int>()
        let counters = RequestCounters()
        let started = ContinuousClock.now
        let error = try await HTTP1Transport.withTransport { transport in
            let kms = Self.refusingClient(host: host, port: port, transport: transport, backoffs: backoffs, counters: counters)
            return try await #require(throws: AWSError.self) { try await kms.describeKey(keyId: "alias/user") }
        }
        // Reported, never asserted: wall time depends on the machine.
        print("connection refused: \(ContinuousClock.now - started) for \(counters.snapshot.requests) attempts")
        return (error, port, counters.snapshot.requests, backoffs.count)
    }

    @Test("each refused attempt counts: 3 attempts, 2 backed-off retries, then one readable line",
          arguments: ["127.0.0.1", "localhost"])
    func failsAfterConfiguredAttempts(host: String) async throws {
        let (error, port, attempts, backoffs) = try await Self.refusedError(host: host)
        #expect(attempts == 3)
        #expect(backoffs == 2)
        #expect(error.attempts == 3)
        #expect(error.isTransportError && error.isTransient && !error.isTimeout)
        #expect(error.isConnectionRefused)
        // Nothing ever answered there in this client's run: final after these attempts.
        #expect(error.isUnreachable)
        #expect("\(error)" == "kms DescribeKey failed: connection refused by \(host):\(port) after 3 attempts")
    }

    @Test("the message is one line, parentheses balanced, nothing said twice")
    func readableMessage() async throws {
        let text = "\(try await Self.refusedError().error)"
        #expect(!text.contains("\n"))
        let depths = text.reduce(into: [0]) { depths, character in
            depths.append(depths.last! + (character == "(" ? 1 : character == ")" ? -1 : 0))
        }
        #expect(depths.min() == 0 && depths.last == 0, "unbalanced parentheses in: \(text)")
        let words = text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        let pairs = zip(words, words.dropFirst()).map { "\($0) \($1)" }
        #expect(Set(pairs).count == pairs.count, "repeated words in: \(text)")
        #expect(words.filter { $0 == "connection" }.count == 1, "\(text)")
        #expect(!text.contains("errno"), "\(text)")
    }

    @Test("a refusal is final only while the endpoint has answered nothing: once it has, the same refusal is an outage")
    func refusalAfterAnAnswerIsNotFinal() async throws {
        // Outside the kernel's ephemeral range, as above: nobody else takes it once the server stops.
        let port = try freeLoopbackPort(in: 10_000..<20_000)
        let (backoffs, counters, contacts) = (Recorded<Int>(), RequestCounters(), EndpointContacts())
        try await HTTP1Transport.withTransport { transport in
            let kms = Self.refusingClient(host: "127.0.0.1", port: port, transport: transport, backoffs: backoffs,
                                          counters: counters, contacts: contacts)
            let server = try await FaultServer.start([], otherwise: .ok(body: #"{"KeyMetadata": {"KeyId": "k"}}"#), port: port)
            _ = try await kms.describeKey(keyId: "alias/user")
            await server.stop()
            #expect(server.requestCount == 1)
            #expect(contacts.hasAnswered("127.0.0.1:\(port)"))

            let dying = try await #require(throws: AWSError.self) { try await kms.describeKey(keyId: "alias/user") }
            #expect(dying.isConnectionRefused && dying.attempts == 3)
            #expect(!dying.isUnreachable, "the endpoint answered earlier in this run: an outage, retried above the client")
        }
        // The same refusal with a client of another run (its own contacts): final.
        let fresh = try await Self.refusedError()
        #expect(fresh.error.isUnreachable)
    }
}
