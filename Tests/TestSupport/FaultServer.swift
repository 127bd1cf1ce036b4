import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP server that answers each request by a script: the faults that AWS clients
/// must survive (throttling, 5xx, resets, slow and truncated answers), then success.
///
/// ```swift
/// try await withFaultServer([.throttle(code: "ThrottlingException"), .status(503), .reset]) { server in
///     // aim a client at server.endpoint; the 4th request gets `otherwise` (200 `{}`)
///     #expect(server.requestCount == 4)
/// }
/// ```
///
/// It binds `127.0.0.1` port 0 in this process (SwiftNIO), answers every request with
/// `Connection: close`, and records every request that arrived, in order.
public final class FaultServer: Sendable {
    /// How error answers are written.
    public enum Format: Sendable {
        /// AWS JSON protocols (DynamoDB, KMS): `{"__type": …, "message": …}` and `x-amzn-RequestId`.
        case json
        /// REST-XML (S3): `<Error><Code>…</Code>…</Error>` and `x-amz-request-id`.
        case xml
    }

    /// One request as it arrived.
    public struct Request: Sendable {
        public var method: String
        /// The request target: path and query, as sent.
        public var uri: String
        public var headers: [(name: String, value: String)]
        public var body: Data

        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    public let port: Int
    /// `http://127.0.0.1:<port>`
    public let endpoint: URL
    private let channel: any Channel
    private let script: FaultScript

    private init(port: Int, channel: any Channel, script: FaultScript) {
        self.port = port
        self.endpoint = URL(string: "http://127.0.0.1:\(port)")!
        self.channel = channel
        self.script = script
    }

    /// Every request received so far, in order of arrival.
    public var requests: [Request] { script.received }
    public var requestCount: Int { script.received.count }

    /// Starts a server that answers request *n* with `script[n]`, and `otherwise` once the
    /// script is spent, on `port` of 127.0.0.1 (0: any free one). Prefer
    /// ``withFaultServer(_:otherwise:format:_:)``.
    public static func start(_ script: [Fault], otherwise: Fault = .ok(), format: Format = .json,
                             port: Int = 0) async throws -> FaultServer {
        let state = FaultScript(script: script, otherwise: otherwise, format: format)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FaultHandler(script: state))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw LoopbackError(description: "the fault server has no port")
        }
        return FaultServer(port: port, channel: channel, script: state)
    }

    /// Stops listening. Connections still being answered (``Fault/slow(_:)``) finish on their own.
    public func stop() async {
        try? await channel.close()
    }
}

/// Runs `body` with a fresh ``FaultServer``, always stopping it afterwards.
public func withFaultServer<Result>(
    _ script: [Fault], otherwise: Fault = .ok(), format: FaultServer.Format = .json,
    _ body: (FaultServer) async throws -> Result
) async throws -> Result {
    let server = try await FaultServer.start(script, otherwise: otherwise, format: format)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// The script and the record of a ``FaultServer``, shared by its connections.
final class FaultScript: Sendable {
    private struct State {
        var script: [Fault]
        var next = 0
        var received: [FaultServer.Request] = []
    }

    let otherwise: Fault
    let format: FaultServer.Format
    private let state: Mutex<State>

    init(script: [Fault], otherwise: Fault, format: FaultServer.Format) {
        self.otherwise = otherwise
        self.format = format
        self.state = Mutex(State(script: script))
    }

    var received: [FaultServer.Request] { state.withLock { $0.received } }

    /// Records `request` and returns its answer and its request id.
    func answer(_ request: FaultServer.Request) -> (fault: Fault, requestId: String) {
        state.withLock { state in
            state.received.append(request)
            let fault = state.next < state.script.count ? state.script[state.next] : otherwise
            state.next += 1
            return (fault, "fault-request-\(state.received.count)")
        }
    }
}

/// Answers one connection's requests by the script.
private final class FaultHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let script: FaultScript
    private var head: HTTPRequestHead?
    private var body = Data()

    init(script: FaultScript) {
        self.script = script
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = Data()
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            let request = FaultServer.Request(method: head.method.rawValue, uri: head.uri,
                                              headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
            let (fault, requestId) = script.answer(request)
            perform(fault, requestId: requestId, context: context)
        }
    }

    private func perform(_ fault: Fault, requestId: String, context: ChannelHandlerContext) {
        switch fault {
        case .ok(let body, let headers):
            respond(status: 200, body: body, extraHeaders: headers, requestId: requestId, context: context)
        case .status(let status):
            respond(status: status, body: "", requestId: requestId, context: context)
        case .throttle(let code, let status):
            respond(status: status, body: errorBody(code: code, message: "Rate exceeded", requestId: requestId),
                    requestId: requestId, context: context)
        case .error(let status, let code, let message):
            respond(status: status, body: errorBody(code: code, message: message, requestId: requestId),
                    requestId: requestId, context: context)
        case .reset:
            guard let socket = context.channel as? any SocketOptionProvider else {
                context.close(promise: nil)
                return
            }
            socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .slow(let delay):
            let (seconds, attoseconds) = delay.components
            let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) {
                self.respond(status: 200, body: "{}", requestId: requestId, context: context)
            }
        case .truncated:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "1000")
            headers.add(name: "Content-Type", value: "application/x-amz-json-1.0")
            headers.add(name: "Connection", value: "close")
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                          promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: #"{"Keys":["#)))))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    private func errorBody(code: String, message: String, requestId: String) -> String {
        switch script.format {
        case .json:
            let object = ["__type": "com.amazonaws.faultserver#\(code)", "message": message]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        case .xml:
            return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message>"
                + "<RequestId>\(requestId)</RequestId></Error>"
        }
    }

    private func respond(status: Int, body: String, extraHeaders: [String: String] = [:], requestId: String,
                         context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        switch script.format {
        case .json:
            headers.add(name: "Content-Type", value: "application/x-amz-json-1.0")
            headers.add(name: "x-amzn-RequestId", value: requestId)
        case .xml:
            headers.add(name: "Content-Type", value: "application/xml")
            headers.add(name: "x-amz-request-id", value: requestId)
        }
        for (name, value) in extraHeaders.sorted(by: { $0.key < $1.key }) { headers.replaceOrAdd(name: name, value: value) }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if !body.isEmpty {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        }
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
