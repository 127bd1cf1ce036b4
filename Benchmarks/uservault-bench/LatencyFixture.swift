import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback stand-in for DynamoDB and KMS that isolates the scan engine's parallelism: every
/// Scan page is answered after a fixed delay (a real DynamoDB page takes about 20 ms), every KMS
/// request at once. Connections are kept alive, as AWS endpoints keep them.
///
/// The table holds `users` synthetic users written like this project writes them
/// (`credentialsKeyId` recorded, a binary ciphertext), each with its own enabled customer
/// managed key. User *i* belongs to segment *i mod TotalSegments*; a page holds up to
/// `min(Limit, pageItems)` users. DescribeKey reports the key enabled; ReEncrypt returns the
/// ciphertext it was given, under the key it was asked for. The data is derived from the index,
/// so nothing is stored and any number of segments can be asked for.
struct LatencyFixture: Sendable {
    var users: Int
    var scanDelay: TimeAmount
    var pageItems: Int

    static let accountArn = "arn:aws:kms:us-east-1:111122223333:key/"

    /// Binds 127.0.0.1 port 0 and serves until the process ends; calls `ready` with the port.
    func run(ready: (Int) -> Void) async throws {
        let fixture = self
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 512)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(LatencyFixtureHandler(fixture: fixture))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        ready(channel.localAddress?.port ?? 0)
        try await channel.closeFuture.get()
    }

    /// One answer: a status, a JSON body, and how long to wait before sending it.
    struct Answer {
        var status: HTTPResponseStatus = .ok
        var body: String
        var delay: TimeAmount = .zero
    }

    func answer(target: String, body: Data) -> Answer {
        let input = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        switch target {
        case "DynamoDB_20120810.DescribeTable":
            return Answer(body: #"{"Table":{"TableName":"users","TableStatus":"ACTIVE","ItemCount":\#(users),"#
                + #""TableSizeBytes":\#(users * 400),"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}}"#)
        case "DynamoDB_20120810.Scan":
            return scan(input)
        case "TrentService.DescribeKey":
            let arn = Self.arn(input["KeyId"] as? String ?? "")
            return Answer(body: #"{"KeyMetadata":{"KeyId":"\#(arn.dropFirst(Self.accountArn.count))","Arn":"\#(arn)","#
                + #""KeyState":"Enabled","Enabled":true,"KeyManager":"CUSTOMER","KeySpec":"SYMMETRIC_DEFAULT","#
                + #""KeyUsage":"ENCRYPT_DECRYPT"}}"#)
        case "TrentService.ReEncrypt":
            let arn = Self.arn(input["DestinationKeyId"] as? String ?? "")
            let blob = input["CiphertextBlob"] as? String ?? ""
            return Answer(body: #"{"CiphertextBlob":"\#(blob)","SourceKeyId":"\#(arn)","KeyId":"\#(arn)"}"#)
        case "ResourceGroupsTaggingAPI_20170126.GetResources":
            return Answer(body: #"{"ResourceTagMappingList":[],"PaginationToken":""}"#)
        default:
            return Answer(status: .badRequest,
                          body: #"{"__type":"UnknownOperationException","message":"the fixture does not answer \#(target)"}"#)
        }
    }

    func scan(_ input: [String: Any]) -> Answer {
        let total = max(1, input["TotalSegments"] as? Int ?? 1)
        let segment = input["Segment"] as? Int ?? 0
        let limit = min(pageItems, input["Limit"] as? Int ?? pageItems)
        var next = segment
        if let start = ((input["ExclusiveStartKey"] as? [String: Any])?["id"] as? [String: Any])?["S"] as? String,
           let index = Self.index(ofUserId: start) {
            next = index + total
        }
        var items: [String] = []
        while next < users && items.count < limit {
            items.append(Self.item(next))
            next += total
        }
        var body = #"{"Count":\#(items.count),"ScannedCount":\#(items.count),"Items":[\#(items.joined(separator: ","))]"#
        body += #","ConsumedCapacity":{"TableName":"users","CapacityUnits":\#(Double(items.count) * 0.05)}"#
        if next < users, let last = items.isEmpty ? nil : next - total {
            body += #","LastEvaluatedKey":{"id":{"S":"\#(Self.userId(last))"}}"#
        }
        return Answer(body: body + "}", delay: scanDelay)
    }

    static func userId(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        return "00000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }

    static func index(ofUserId id: String) -> Int? {
        Int(id.suffix(12), radix: 16)
    }

    static func keyId(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        return "10000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }

    static func arn(_ keyId: String) -> String {
        keyId.hasPrefix("arn:") ? keyId : accountArn + keyId
    }

    /// 184 bytes that look like KMS ciphertext (not printable text), the same for every user:
    /// the fixture's KMS accepts any ciphertext.
    static let ciphertext: String = {
        var bytes: [UInt8] = [0x01, 0x02, 0x02, 0x00, 0x78]
        var state: UInt32 = 0x9E37_79B9
        while bytes.count < 184 {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes.append(UInt8(truncatingIfNeeded: state >> 24))
        }
        return Data(bytes).base64EncodedString()
    }()

    static func item(_ index: Int) -> String {
        let id = userId(index)
        return #"{"id":{"S":"\#(id)"},"type":{"S":"users"},"firstname":{"S":"Ada"},"lastname":{"S":"Lovelace"},"#
            + #""email":{"S":"user\#(index)@example.com"},"username":{"S":"user\#(index)"},"#
            + #""createdAt":{"S":"2026-01-01T00:00:00.000Z"},"credentials":{"B":"\#(ciphertext)"},"#
            + #""credentialsKeyId":{"S":"\#(arn(keyId(index)))"}}"#
    }
}

/// Reads one request (head and body), answers it after the fixture's delay for it.
final class LatencyFixtureHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let fixture: LatencyFixture
    private var target = ""
    private var body = ByteBuffer()
    private var keepAlive = true

    init(fixture: LatencyFixture) {
        self.fixture = fixture
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            target = head.headers["x-amz-target"].first ?? ""
            keepAlive = head.isKeepAlive
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            let answer = fixture.answer(target: target, body: Data(body.readableBytesView))
            let keepAlive = keepAlive
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            if answer.delay == .zero {
                respond(context: context, answer: answer, keepAlive: keepAlive)
            } else {
                context.eventLoop.scheduleTask(in: answer.delay) {
                    let (handler, context) = loopBound.value
                    handler.respond(context: context, answer: answer, keepAlive: keepAlive)
                }
            }
        }
    }

    private func respond(context: ChannelHandlerContext, answer: LatencyFixture.Answer, keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-amz-json-1.0")
        headers.add(name: "Content-Length", value: String(answer.body.utf8.count))
        headers.add(name: "x-amzn-RequestId", value: "fixture")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
