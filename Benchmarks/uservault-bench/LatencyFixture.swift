import EmbeddedStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import UserVaultCore

/// A loopback stand-in for DynamoDB and KMS with AWS's latencies, key states and (optionally) an
/// account's request quotas: every Scan page is answered after `scanDelay` (a real DynamoDB page
/// takes about 20 ms), every KMS request after `kmsDelay` (about 5 ms in-region). Connections are
/// kept alive, as AWS endpoints keep them.
///
/// The table holds `users` synthetic users written like this project writes them
/// (`credentialsKeyId` recorded, a binary ciphertext), each with its own customer managed key.
/// User *i* belongs to segment *i mod TotalSegments*; a page holds up to `min(Limit, pageItems)`
/// users. A `defects` share of the keys is not healthy — disabled, pending deletion, missing, or
/// the user's ciphertext is another key's, a quarter each, picked by the user's index — and KMS
/// enforces their state on ReEncrypt as AWS KMS does (`DisabledException`,
/// `KMSInvalidStateException`, `NotFoundException`, `IncorrectKeyException`); DescribeKey
/// reports it. The data is derived from the index: nothing is stored.
///
/// With `quotas` (requests per second by quota: `Cryptographic` for Encrypt/Decrypt/ReEncrypt,
/// else the API name) the fixture is an *account*: one token bucket per quota (one second of
/// burst) over all its connections, and a request above it gets `ThrottlingException`. It counts
/// requests and throttled answers per client (the access key id of the request's signature) and
/// per quota, and with `recordArrivals` each request's arrival time; `GET /_fixture/stats` answers
/// them as JSON.
struct LatencyFixture: Sendable {
    var users: Int
    var scanDelay: TimeAmount
    var pageItems: Int
    var kmsDelay: TimeAmount = .milliseconds(5)
    /// A consistent GetItem's latency (the stream handler reads each changed user so).
    var itemDelay: TimeAmount = .milliseconds(5)
    /// The share of keys in a bad state (0–1).
    var defects: Double = 0
    var quotas: [String: Double] = [:]
    var recordArrivals = false
    /// With `--store`: the users of an embedded store, served as a Scan serves a table's items,
    /// instead of synthetic ones (`users` is then their count).
    var stored: StoredUsers?
    let account = FixtureAccount()

    /// An embedded store's users as DynamoDB JSON items, in the store's order, and where each id is.
    struct StoredUsers: Sendable {
        var items: [String] = []
        var ids: [String] = []
        var indexById: [String: Int] = [:]

        /// Reads every user of the store at `path` (the store's own scan, full projection).
        static func load(path: String) async throws -> StoredUsers {
            let table = try EmbeddedStore(path: path, configuration: .init(readOnly: true)).table
            var users = StoredUsers()
            var after: String?
            repeat {
                let page = try await table.scan(ScanRequest(startAfter: after, limit: 10_000, projection: .full))
                for item in page.items where item.isUser {
                    users.indexById[item.id] = users.ids.count
                    users.ids.append(item.id)
                    users.items.append(Self.json(item))
                }
                after = page.lastEvaluatedId
            } while after != nil
            return users
        }

        /// The item as DynamoDB JSON (strings escaped by JSONSerialization).
        static func json(_ item: StoredItem) -> String {
            var attributes: [String: Any] = [:]
            let strings: [(String, String?)] = [
                ("id", item.id), ("type", item.type), ("firstname", item.firstname), ("lastname", item.lastname),
                ("email", item.email), ("username", item.username), ("createdAt", item.createdAt),
                ("credentialsKeyId", item.credentialsKeyId),
            ]
            for (name, value) in strings { if let value { attributes[name] = ["S": value] } }
            switch item.credentials {
            case .binary(let data)?: attributes["credentials"] = ["B": data.base64EncodedString()]
            case .string(let text)?: attributes["credentials"] = ["S": text]
            case .other?, nil: break
            }
            let data = (try? JSONSerialization.data(withJSONObject: attributes, options: [.sortedKeys])) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }

    static let accountArn = "arn:aws:kms:us-east-1:111122223333:key/"

    /// What is wrong with a user's key.
    enum KeyFate: Sendable {
        case healthy, disabled, pendingDeletion, missing, otherKey
    }

    /// Deterministic by index: a `defects` share of the keys, a quarter of each bad kind.
    func fate(_ index: Int) -> KeyFate {
        let draw = (index &* 2_654_435_761) % 10_000
        guard Double(draw) < defects * 10_000 else { return .healthy }
        return [.disabled, .pendingDeletion, .missing, .otherKey][draw % 4]
    }

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

    func answer(target: String, body: Data, client: String) -> Answer {
        let input = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        let operation = target.split(separator: ".").last.map(String.init) ?? target
        let kms = target.hasPrefix("TrentService.")
        let quota = ["Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey"].contains(operation) ? "Cryptographic" : operation
        let delay = kms ? kmsDelay : .zero
        if !account.admit(quota: quota, client: client, limit: quotas[quota], recordArrival: recordArrivals) {
            return Answer(status: .badRequest, body: #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#, delay: delay)
        }
        func error(_ code: String, _ message: String) -> Answer {
            Answer(status: .badRequest, body: #"{"__type":"\#(code)","message":"\#(message)"}"#, delay: delay)
        }
        switch target {
        case "DynamoDB_20120810.DescribeTable":
            return Answer(body: #"{"Table":{"TableName":"users","TableStatus":"ACTIVE","ItemCount":\#(users),"#
                + #""TableSizeBytes":\#(users * 400),"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"#
                + #""BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"}}}"#)
        case "DynamoDB_20120810.Scan":
            return scan(input)
        case "DynamoDB_20120810.GetItem":
            let id = ((input["Key"] as? [String: Any])?["id"] as? [String: Any])?["S"] as? String ?? ""
            guard let index = Self.index(ofUserId: id), index < users else { return Answer(body: "{}", delay: itemDelay) }
            return Answer(body: #"{"Item":\#(Self.item(index))}"#, delay: itemDelay)
        case "TrentService.DescribeKey":
            let keyId = input["KeyId"] as? String ?? ""
            let arn = Self.arn(keyId)
            let fate = Self.index(ofKeyId: keyId).map(fate) ?? .missing
            let state: String
            switch fate {
            case .missing: return error("NotFoundException", "Key '\(arn)' does not exist")
            case .disabled: state = "Disabled"
            case .pendingDeletion: state = "PendingDeletion"
            case .healthy, .otherKey: state = "Enabled"
            }
            return Answer(body: #"{"KeyMetadata":{"KeyId":"\#(arn.dropFirst(Self.accountArn.count))","Arn":"\#(arn)","#
                + #""KeyState":"\#(state)","Enabled":\#(state == "Enabled"),"KeyManager":"CUSTOMER","KeySpec":"SYMMETRIC_DEFAULT","#
                + #""KeyUsage":"ENCRYPT_DECRYPT"}}"#, delay: delay)
        case "TrentService.ReEncrypt":
            let source = input["SourceKeyId"] as? String ?? ""
            let arn = Self.arn(input["DestinationKeyId"] as? String ?? "")
            switch Self.index(ofKeyId: source).map(fate) ?? .healthy {
            case .missing: return error("NotFoundException", "Key '\(Self.arn(source))' does not exist")
            case .disabled: return error("DisabledException", "\(Self.arn(source)) is disabled.")
            case .pendingDeletion: return error("KMSInvalidStateException", "\(Self.arn(source)) is pending deletion.")
            case .otherKey: return error("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
            case .healthy: break
            }
            let blob = input["CiphertextBlob"] as? String ?? ""
            return Answer(body: #"{"CiphertextBlob":"\#(blob)","SourceKeyId":"\#(arn)","KeyId":"\#(arn)"}"#, delay: delay)
        case "TrentService.GetKeyRotationStatus":
            return Answer(body: #"{"KeyRotationEnabled":true}"#, delay: delay)
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
           let index = stored.map({ $0.indexById[start] }) ?? Self.index(ofUserId: start) {
            next = index + total
        }
        var items: [String] = []
        while next < users && items.count < limit {
            items.append(stored?.items[next] ?? Self.item(next))
            next += total
        }
        var body = #"{"Count":\#(items.count),"ScannedCount":\#(items.count),"Items":[\#(items.joined(separator: ","))]"#
        body += #","ConsumedCapacity":{"TableName":"users","CapacityUnits":\#(Double(items.count) * 0.05)}"#
        if next < users, let last = items.isEmpty ? nil : next - total {
            body += #","LastEvaluatedKey":{"id":{"S":"\#(stored?.ids[last] ?? Self.userId(last))"}}"#
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

    static func index(ofKeyId keyId: String) -> Int? {
        let bare = keyId.split(separator: "/").last.map(String.init) ?? keyId
        guard bare.hasPrefix("10000000-") else { return nil }
        return Int(bare.suffix(12), radix: 16)
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
    private var uri = ""
    private var client = ""
    private var body = ByteBuffer()
    private var keepAlive = true

    init(fixture: LatencyFixture) {
        self.fixture = fixture
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            target = head.headers["x-amz-target"].first ?? ""
            uri = head.uri
            client = Self.accessKeyId(head.headers["authorization"].first ?? "")
            keepAlive = head.isKeepAlive
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            let answer = uri == "/_fixture/stats"
                ? LatencyFixture.Answer(body: fixture.account.statistics())
                : fixture.answer(target: target, body: Data(body.readableBytesView), client: client)
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

    /// `AKID` of `AWS4-HMAC-SHA256 Credential=AKID/20261201/...`: which client sent the request.
    static func accessKeyId(_ authorization: String) -> String {
        guard let range = authorization.range(of: "Credential=") else { return "anonymous" }
        return String(authorization[range.upperBound...].prefix { $0 != "/" })
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

/// The fixture's account: a token bucket per quota over every connection, and what each client
/// sent and was refused.
final class FixtureAccount: Sendable {
    private struct Bucket {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    private struct Client: Codable {
        var requests: [String: Int] = [:]
        var throttled: [String: Int] = [:]
        /// Milliseconds since the fixture started, per quota, in order of arrival.
        var arrivals: [String: [Double]] = [:]
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        var clients: [String: Client] = [:]
    }

    private let state = Mutex(State())
    private let start = ContinuousClock.now

    /// Counts the request; `false` when `quota` is over `limit` per second (a throttled answer).
    func admit(quota: String, client: String, limit: Double?, recordArrival: Bool) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            var admitted = true
            if let limit {
                var bucket = state.buckets[quota] ?? Bucket(tokens: limit, last: now)
                bucket.tokens = min(limit, bucket.tokens + (now - bucket.last).inSeconds * limit)
                bucket.last = now
                if bucket.tokens >= 1 { bucket.tokens -= 1 } else { admitted = false }
                state.buckets[quota] = bucket
            }
            var record = state.clients[client] ?? Client()
            if admitted {
                record.requests[quota, default: 0] += 1
                if recordArrival { record.arrivals[quota, default: []].append((now - start).inSeconds * 1000) }
            } else {
                record.throttled[quota, default: 0] += 1
            }
            state.clients[client] = record
            return admitted
        }
    }

    /// `{"throttled": N, "clients": {AKID: {"requests": {quota: n}, "throttled": {...}, "arrivals": {...}}}}`
    func statistics() -> String {
        let clients = state.withLock { $0.clients }
        let throttled = clients.values.reduce(0) { $0 + $1.throttled.values.reduce(0, +) }
        struct Statistics: Encodable {
            var throttled: Int
            var clients: [String: Client]
        }
        let data = (try? JSONEncoder().encode(Statistics(throttled: throttled, clients: clients))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension Duration {
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
