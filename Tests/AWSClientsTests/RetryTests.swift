import AWSClients
import AWSSigning
import Foundation
import Testing
import TestSupport

/// The retry loop of ``AWSServiceClient`` against a real loopback server that injects faults.
/// Backoff jitter is 0 throughout, so no test waits for a retry.
@Suite("Retries against injected faults")
struct RetryTests {
    /// Faults that standard mode retries, with the per-attempt timeout they need.
    static let transientFaults: [Fault] = [
        .throttle(code: "ThrottlingException"),
        .throttle(code: "ProvisionedThroughputExceededException", status: 400),
        .throttle(code: "RequestLimitExceeded"),
        .throttle(code: "TooManyRequestsException"),
        .throttle(code: "TransactionInProgressException"),
        .status(429),
        .status(500), .status(502), .status(503), .status(504),
        .error(status: 500, code: "InternalServerError"),
        .error(status: 500, code: "KMSInternalException"),
        .reset,
        .slow(.seconds(60)),
        .truncated,
    ]

    /// Short enough that a slow answer costs little real time, long enough that a prompt one
    /// never times out on a busy machine.
    static func timeout(for fault: Fault) -> Duration {
        if case .slow = fault { return .seconds(2) }
        return .seconds(20)
    }

    static func isThrottle(_ fault: Fault) -> Bool {
        switch fault {
        case .throttle: return true
        case .status(let status): return status == 429
        default: return false
        }
    }

    @Test("a transient fault twice, then success: the call succeeds on the 3rd attempt", arguments: transientFaults)
    func transientThenSuccess(fault: Fault) async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([fault, fault]) { server in
                let counters = RequestCounters()
                let dynamo = DynamoDBClient(server.client(transport: transport, timeout: Self.timeout(for: fault),
                                                          counters: counters))
                _ = try await dynamo.describeTable("users")
                #expect(server.requestCount == 3)
                #expect(counters.snapshot.requests == 3)
                #expect(counters.snapshot.retries == 2)
                #expect(counters.snapshot.throttles == (Self.isThrottle(fault) ? 2 : 0))
            }
        }
    }

    @Test("a persistent fault: a clear AWSError after maxAttempts, with attempts, code, status and request id",
          arguments: transientFaults)
    func persistentFault(fault: Fault) async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([], otherwise: fault) { server in
                let kms = KMSClient(server.client(.kms, transport: transport, timeout: Self.timeout(for: fault)))
                let error = try await #require(throws: AWSError.self) {
                    try await kms.describeKey(keyId: "alias/missing")
                }
                #expect(server.requestCount == 3)
                #expect(error.attempts == 3)
                #expect(error.service == "kms")
                #expect(error.operation == "DescribeKey")
                #expect("\(error)".contains("after 3 attempts"))
                switch fault {
                case .throttle(let code, let status):
                    #expect(error.code == code)
                    #expect(error.statusCode == status)
                    #expect(error.isThrottling)
                    #expect(error.requestId == "fault-request-3")
                case .status(let status):
                    #expect(error.statusCode == status)
                    #expect(error.requestId == "fault-request-3")
                    #expect(error.isServiceError)
                case .error(let status, let code, _):
                    #expect(error.code == code)
                    #expect(error.statusCode == status)
                    #expect(error.requestId == "fault-request-3")
                case .slow:
                    #expect(error.isTimeout)
                case .reset, .truncated:
                    #expect(error.isTransportError)
                    #expect(!error.isTimeout)
                case .ok:
                    Issue.record("not a fault")
                }
            }
        }
    }

    static let nonRetryable: [(status: Int, code: String)] = [
        (400, "ValidationException"),
        (400, "AccessDeniedException"),
        (400, "ConditionalCheckFailedException"),
        (400, "ResourceNotFoundException"),
        (400, "TransactionCanceledException"),
        (400, "NotFoundException"),
        (400, "DisabledException"),
        (400, "InvalidCiphertextException"),
    ]

    @Test("a non-retryable error is never retried", arguments: nonRetryable)
    func nonRetryableError(status: Int, code: String) async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.error(status: status, code: code, message: "no good")], otherwise: .status(500)) { server in
                let counters = RequestCounters()
                let dynamo = DynamoDBClient(server.client(transport: transport, counters: counters))
                let error = try await #require(throws: AWSError.self) {
                    try await dynamo.describeTable("users")
                }
                #expect(server.requestCount == 1)
                #expect(error.attempts == 1)
                #expect(error.code == code)
                #expect(error.statusCode == status)
                #expect(error.message == "no good")
                #expect(error.requestId == "fault-request-1")
                #expect(!error.isThrottling && !error.isTransient)
                #expect(counters.snapshot.retries == 0)
            }
        }
    }

    @Test("HTTP 4xx without a code is not retried (403 becomes AccessDenied)")
    func forbiddenWithoutCode() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.status(403)], otherwise: .status(500)) { server in
                let kms = KMSClient(server.client(.kms, transport: transport))
                let error = try await #require(throws: AWSError.self) { try await kms.describeKey(keyId: "k") }
                #expect(server.requestCount == 1)
                #expect(error.code == "AccessDenied")
                #expect(error.statusCode == 403)
            }
        }
    }

    @Test("AWS_MAX_ATTEMPTS is honoured", arguments: [1, 2, 5])
    func maxAttemptsHonoured(maxAttempts: Int) async throws {
        var retry = try RetryStrategy.from(mode: "standard", maxAttempts: String(maxAttempts))
        retry.jitter = { 0 }
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([], otherwise: .status(503)) { server in
                let dynamo = DynamoDBClient(server.client(transport: transport, retry: retry))
                let error = try await #require(throws: AWSError.self) { try await dynamo.describeTable("users") }
                #expect(server.requestCount == maxAttempts)
                #expect(error.attempts == maxAttempts)
            }
        }
    }

    @Test("success within a larger maxAttempts: 4 faults, then success on the 5th attempt")
    func moreAttempts() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.status(503), .reset, .throttle(code: "ThrottlingException"), .truncated]) { server in
                let kms = KMSClient(server.client(.kms, transport: transport, retry: .withoutJitter(maxAttempts: 5)))
                var pages = 0
                for try await _ in kms.listKeysPages() { pages += 1 }
                #expect(pages == 1)
                #expect(server.requestCount == 5)
            }
        }
    }

    @Test("retry mode none makes one attempt")
    func noRetries() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([], otherwise: .throttle(code: "ThrottlingException")) { server in
                let kms = KMSClient(server.client(.kms, transport: transport, retry: .none))
                let error = try await #require(throws: AWSError.self) { try await kms.describeKey(keyId: "k") }
                #expect(server.requestCount == 1)
                #expect(error.attempts == 1)
                #expect(error.isThrottling)
            }
        }
    }

    @Test("the retry quota stops retries once spent, across calls of one client")
    func retryQuotaSpent() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([], otherwise: .status(503)) { server in
                let counters = RequestCounters()
                let dynamo = DynamoDBClient(server.client(transport: transport, counters: counters))
                // 500 tokens, 5 per retry: 50 calls of 3 attempts spend them all.
                var attempts: [Int] = []
                for _ in 0..<52 {
                    let error = try await #require(throws: AWSError.self) { try await dynamo.describeTable("users") }
                    attempts.append(error.attempts)
                }
                #expect(attempts.prefix(50).allSatisfy { $0 == 3 })
                #expect(attempts.suffix(2) == [1, 1])
                #expect(server.requestCount == 50 * 3 + 2)
                #expect(counters.snapshot.retries == 100)
            }
        }
    }

    @Test("successes refund the quota: retries resume after the service recovers")
    func retryQuotaRefunded() async throws {
        // 50 failing calls spend the quota; 10 successes without retries add 10 tokens (1 each),
        // enough for 2 more retries.
        let script = Array(repeating: Fault.status(503), count: 150) + Array(repeating: Fault.ok(), count: 10)
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer(script, otherwise: .status(503)) { server in
                let dynamo = DynamoDBClient(server.client(transport: transport))
                for _ in 0..<50 { _ = try? await dynamo.describeTable("users") }
                for _ in 0..<10 { _ = try await dynamo.describeTable("users") }
                let error = try await #require(throws: AWSError.self) { try await dynamo.describeTable("users") }
                #expect(error.attempts == 3)
                let spent = try await #require(throws: AWSError.self) { try await dynamo.describeTable("users") }
                #expect(spent.attempts == 1)
                #expect(server.requestCount == 150 + 10 + 3 + 1)
            }
        }
    }

    @Test("a timeout costs the quota twice as much as another retry (10 tokens, not 5)")
    func timeoutsCostMore() async throws {
        // 48 calls of three 503s spend 480 of the 500 tokens. Call 49: a 503 (retry: 5 tokens,
        // 15 left), a timeout (retry: 10 tokens, 5 left), a 503. Call 50: a timeout, and 5 tokens
        // are too few to retry it. Call 51: a 503 is still retried once with those 5 tokens.
        let script = Array(repeating: Fault.status(503), count: 48 * 3)
            + [.status(503), .slow(.seconds(60)), .status(503)]
            + [.slow(.seconds(60))]
            + [.status(503), .status(503)]
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer(script, otherwise: .status(500)) { server in
                let dynamo = DynamoDBClient(server.client(transport: transport, timeout: .seconds(2)))
                for _ in 0..<48 {
                    let error = try await #require(throws: AWSError.self) { try await dynamo.describeTable("users") }
                    #expect(error.attempts == 3)
                }
                let mixed = try await #require(throws: AWSError.self) { try await dynamo.describeTable("users") }
                #expect(mixed.attempts == 3)
                #expect(mixed.statusCode == 503)
                let timedOut = try await #require(throws: AWSError.self) { try await dynamo.describeTable("users") }
                #expect(timedOut.isTimeout)
                #expect(timedOut.attempts == 1)
                let unavailable = try await #require(throws: AWSError.self) { try await dynamo.describeTable("users") }
                #expect(unavailable.statusCode == 503)
                #expect(unavailable.attempts == 2)
                #expect(server.requestCount == 48 * 3 + 3 + 1 + 2)
            }
        }
    }

    /// STS `AssumeRoleWithWebIdentity` with a test token: the one unsigned call.
    static func assumeRoleWithWebIdentity(_ sts: STSClient) async throws -> AWSCredentials {
        try await sts.assumeRoleWithWebIdentity(roleArn: "arn:aws:iam::123456789012:role/web", sessionName: "s 1",
                                                webIdentityToken: "not-a-real-token")
    }

    @Test("an unsigned call (STS AssumeRoleWithWebIdentity) spends the retry quota it shares with signed calls")
    func unsignedRetriesSpendTheQuota() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([], otherwise: .status(500), format: .xml) { server in
                let counters = RequestCounters()
                let sts = STSClient(server.client(.sts, transport: transport, counters: counters))
                // 49 signed calls of 3 attempts spend 490 of the 500 tokens: 2 retries are left.
                for _ in 0..<49 {
                    let error = try await #require(throws: AWSError.self) { try await sts.getCallerIdentity() }
                    #expect(error.attempts == 3)
                }
                let unsigned = try await #require(throws: AWSError.self) { try await Self.assumeRoleWithWebIdentity(sts) }
                #expect(unsigned.attempts == 3)
                #expect(unsigned.statusCode == 500)
                // The unsigned retries took the last tokens: neither kind of call is retried now.
                let spentUnsigned = try await #require(throws: AWSError.self) { try await Self.assumeRoleWithWebIdentity(sts) }
                #expect(spentUnsigned.attempts == 1)
                let spentSigned = try await #require(throws: AWSError.self) { try await sts.getCallerIdentity() }
                #expect(spentSigned.attempts == 1)
                #expect(server.requestCount == 49 * 3 + 3 + 1 + 1)
                #expect(counters.snapshot.retries == 100)
                // The unsigned requests went out unsigned, the signed ones signed.
                let unsignedRequests = server.requests[(49 * 3)..<(49 * 3 + 4)]
                #expect(unsignedRequests.allSatisfy { $0.header("Authorization") == nil })
                #expect(server.requests[0].header("Authorization") != nil)
                #expect(server.requests.last?.header("Authorization") != nil)
                #expect(unsignedRequests.first.map { String(decoding: $0.body, as: UTF8.self) } ==
                    "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb"
                    + "&RoleSessionName=s%201&WebIdentityToken=not-a-real-token")
            }
        }
    }

    @Test("adaptive mode: an unsigned call's answers go through the client's rate limiter")
    func unsignedAnswersFeedTheRateLimiter() async throws {
        let events = Recorded<RateLimiterEvent>()
        var retry = RetryStrategy.withoutJitter(.adaptive, maxAttempts: 3)
        retry.rateLimiterClock = AdaptiveRetryTests.SkippingClock().limiterClock
        retry.rateLimiterObserver = { event in events.append(event) }
        let answer = """
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\
            <AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAFAULTSERVER</AccessKeyId>\
            <SecretAccessKey>fault-server-secret</SecretAccessKey><SessionToken>fault-server-token</SessionToken>\
            <Expiration>2033-05-18T03:33:20Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>\
            </AssumeRoleWithWebIdentityResponse>
            """
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.throttle(code: "Throttling")], otherwise: .ok(body: answer), format: .xml) { server in
                let sts = STSClient(server.client(.sts, transport: transport, retry: retry))
                let credentials = try await Self.assumeRoleWithWebIdentity(sts)
                #expect(credentials.accessKeyId == "ASIAFAULTSERVER")
                #expect(server.requestCount == 2)
                #expect(server.requests.allSatisfy { $0.header("Authorization") == nil })
            }
        }
        let states = events.values.compactMap { if case .updated(let state) = $0 { state } else { nil } }
        #expect(states.map(\.throttled) == [true, false])
        #expect(states.last?.enabled == true)
    }
}
