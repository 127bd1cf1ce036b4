@testable import AWSClients
import Foundation
import Testing
import TestSupport

@Suite("AWSError: parsing, classification, safe descriptions")
struct AWSErrorTests {
    static func reply(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> HTTPReply {
        HTTPReply(status: status, headers: headers, body: Data(body.utf8))
    }

    @Test("JSON errors: the bare code from __type, the message, the request id")
    func jsonError() {
        let reply = Self.reply(400, #"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate of requests exceeds the allowed throughput."}"#,
                               headers: [(name: "x-amzn-RequestId", value: "REQ123")])
        let error = ErrorParsing.parse(reply, service: .dynamoDB, operation: "Scan")
        #expect(error.code == "ProvisionedThroughputExceededException")
        #expect(error.message == "Rate of requests exceeds the allowed throughput.")
        #expect(error.statusCode == 400)
        #expect(error.requestId == "REQ123")
        #expect(error.isServiceError)
        #expect(error.isThrottling)
        #expect(!error.isTransient)
    }

    @Test("JSON errors: a code with a URL suffix, a capitalised Message, the code from x-amzn-ErrorType")
    func jsonErrorVariants() {
        let suffixed = ErrorParsing.parse(
            Self.reply(400, #"{"__type":"ValidationException:http://internal.amazon.com/coral/","Message":"bad"}"#),
            service: .kms, operation: "Encrypt")
        #expect(suffixed.code == "ValidationException")
        #expect(suffixed.message == "bad")
        let header = ErrorParsing.parse(
            Self.reply(400, "not json", headers: [(name: "x-amzn-ErrorType", value: "AccessDeniedException:http://x")]),
            service: .kms, operation: "Encrypt")
        #expect(header.code == "AccessDeniedException")
    }

    @Test("DynamoDB TransactionCanceledException keeps its cancellation reasons")
    func cancellationReasons() {
        let body = #"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"Transaction cancelled","CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"}]}"#
        let error = ErrorParsing.parse(Self.reply(400, body), service: .dynamoDB, operation: "TransactWriteItems")
        #expect(error.code == "TransactionCanceledException")
        #expect(error.cancellationReasons == ["None", "ConditionalCheckFailed"])
        #expect(!error.isTransient && !error.isThrottling)
    }

    @Test("S3 XML errors: code, message, request id from the header or the body")
    func xmlError() {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>\
            <Key>a &amp; b</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>
            """
        let fromBody = ErrorParsing.parse(Self.reply(404, body), service: .s3, operation: "GetObject")
        #expect(fromBody.code == "NoSuchKey")
        #expect(fromBody.message == "The specified key does not exist.")
        #expect(fromBody.requestId == "4442587FB7D0A2F9")
        #expect(fromBody.statusCode == 404)
        let fromHeader = ErrorParsing.parse(Self.reply(503, "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>",
                                                       headers: [(name: "x-amz-request-id", value: "HDR1")]),
                                            service: .s3, operation: "PutObject")
        #expect(fromHeader.code == "SlowDown")
        #expect(fromHeader.requestId == "HDR1")
        #expect(fromHeader.isThrottling)
        #expect(fromHeader.isTransient)
    }

    @Test("Query (STS) XML errors: code and message nested in <Error>, the request id beside it")
    func queryXMLError() {
        let body = """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>ExpiredTokenException</Code>\
            <Message>Token &quot;web&quot; expired</Message></Error>
              <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
            </ErrorResponse>
            """
        let error = ErrorParsing.parse(Self.reply(400, body), service: .sts, operation: "AssumeRoleWithWebIdentity")
        #expect(error.code == "ExpiredTokenException")
        #expect(error.message == "Token \"web\" expired")
        #expect(error.requestId == "c6104cbe-af31-11e0-8154-cbc7ccf896c7")
        let notXML = ErrorParsing.parse(Self.reply(502, "<html><body>Bad Gateway"), service: .sts, operation: "GetCallerIdentity")
        #expect(notXML.code == nil)
        #expect(notXML.statusCode == 502)
    }

    @Test("classification by code, not by status alone", arguments: [
        ("ThrottlingException", 400, true, false),
        ("ProvisionedThroughputExceededException", 400, true, false),
        ("RequestLimitExceeded", 400, true, false),
        ("TooManyRequestsException", 400, true, false),
        ("TransactionInProgressException", 400, true, false),
        ("SlowDown", 503, true, true),
        ("InternalServerError", 500, false, true),
        ("KMSInternalException", 500, false, true),
        ("RequestTimeoutException", 400, false, true),
        ("ValidationException", 400, false, false),
        ("AccessDeniedException", 400, false, false),
        ("ConditionalCheckFailedException", 400, false, false),
        ("InvalidSignatureException", 400, false, false),
    ] as [(String, Int, Bool, Bool)])
    func classification(code: String, status: Int, throttling: Bool, transient: Bool) {
        let error = AWSError.service("dynamodb", "PutItem", code: code, message: nil, statusCode: status, requestId: nil)
        #expect(error.isThrottling == throttling)
        #expect(error.isTransient == transient)
    }

    @Test("signature problems are recognised by code", arguments: [
        "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature", "InvalidClientTokenId",
        "UnrecognizedClientException",
    ])
    func signatureProblems(code: String) {
        let error = AWSError.service("kms", "Encrypt", code: code, message: nil, statusCode: 400, requestId: nil)
        #expect(error.isSignatureProblem)
        #expect(!error.isTransient && !error.isThrottling)
    }

    @Test("the description names service, operation, code, status, request id and attempts")
    func description() {
        var error = AWSError.service("dynamodb", "Scan", code: "ProvisionedThroughputExceededException",
                                     message: "Rate exceeded", statusCode: 400, requestId: "R1")
        error.attempts = 3
        #expect("\(error)" == "dynamodb Scan failed: ProvisionedThroughputExceededException (HTTP 400): Rate exceeded [request id R1] after 3 attempts")
        #expect("\(AWSError.timeout("kms", "ReEncrypt"))" == "kms ReEncrypt failed: timed out")
    }

    @Test("a long service message is truncated")
    func longMessage() {
        let error = AWSError.service("kms", "Encrypt", code: "ValidationException",
                                     message: String(repeating: "x", count: 10_000), statusCode: 400, requestId: nil)
        #expect((error.message?.count ?? 0) <= 300)
    }

    static let failures: [Fault] = [
        .error(status: 400, code: "ValidationException", message: "One or more parameter values were invalid"),
        .status(500), .throttle(code: "ProvisionedThroughputExceededException"), .reset, .truncated, .slow(.seconds(60)),
        .ok(body: "this is not json"),
    ]

    @Test("an AWSError never contains the request body", arguments: failures)
    func neverTheRequestBody(fault: Fault) async throws {
        let marker = "MARKER-SECRET-\(UUID().uuidString)"
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([], otherwise: fault) { server in
                let timeout: Duration
                if case .slow = fault { timeout = .seconds(2) } else { timeout = .seconds(20) }
                let dynamo = DynamoDBClient(server.client(transport: transport, timeout: timeout))
                let item: DynamoDBItem = ["id": .s("u1"), "credentials": .s(marker)]
                let error = try await #require(throws: AWSError.self) {
                    try await dynamo.putItem(.init(TableName: "users", Item: item))
                }
                // The server did receive the marker: the test would prove nothing otherwise.
                #expect(server.requests.contains { String(decoding: $0.body, as: UTF8.self).contains(marker) })
                #expect(!"\(error)".contains(marker))
                #expect(!String(reflecting: error).contains(marker))
                #expect(!(error.message ?? "").contains(marker))
                var dumped = ""
                dump(error, to: &dumped)
                #expect(!dumped.contains(marker))
            }
        }
    }
}
