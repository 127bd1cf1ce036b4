import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback stand-in for the [Lambda Runtime API](https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html),
/// written for the tests: `invoke(_:)` queues an event, answers the runtime's (long-polled)
/// `GET /2018-06-01/runtime/invocation/next` with it and the documented headers, and returns
/// what the runtime posts back to `/invocation/{id}/response` or `/invocation/{id}/error`.
///
/// ```swift
/// let standIn = try await LambdaRuntimeStandIn.start()
/// // run `uservault` with AWS_LAMBDA_RUNTIME_API=\(standIn.address)
/// let outcome = try await standIn.invoke(Data(#"{"version":"2.0", ...}"#.utf8))
/// ```
public final class LambdaRuntimeStandIn: Sendable {
    /// What the runtime answered for one invocation.
    public enum Outcome: Sendable {
        case response(Data)
        case error(type: String, body: Data)

        public var response: Data? { if case .response(let data) = self { data } else { nil } }
        public var errorType: String? { if case .error(let type, _) = self { type } else { nil } }
    }

    /// The `Lambda-Runtime-Invoked-Function-Arn` of every invocation.
    public static let functionArn = "arn:aws:lambda:us-east-1:123456789012:function:uservault"
    /// The `Lambda-Runtime-Trace-Id` of every invocation.
    public static let traceId = "Root=1-00000000-000000000000000000000000;Sampled=0"

    /// `127.0.0.1:<port>`, the value for `AWS_LAMBDA_RUNTIME_API`.
    public let address: String
    private let channel: any Channel
    let state: StandInState

    private init(address: String, channel: any Channel, state: StandInState) {
        self.address = address
        self.channel = channel
        self.state = state
    }

    public static func start() async throws -> LambdaRuntimeStandIn {
        let state = StandInState()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(StandInHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw LoopbackError(description: "the Runtime API stand-in has no port")
        }
        return LambdaRuntimeStandIn(address: "127.0.0.1:\(port)", channel: channel, state: state)
    }

    public func stop() async {
        try? await channel.close()
    }

    /// The init error the runtime reported, if any: its error type and body.
    public var initError: (type: String, body: Data)? { state.initErrors.last }

    /// Every init error the runtime reported, in order (Lambda expects at most one).
    public var initErrors: [(type: String, body: Data)] { state.initErrors }

    /// Sends one event and waits (up to `timeout` times ``testTimeScale``) for the runtime's answer.
    /// The invocation's deadline is `deadline` from now (by default 2 minutes times ``testTimeScale``);
    /// its request id is `requestId` (a fresh UUID by default).
    public func invoke(_ event: Data, deadline: Duration = .seconds(120).scaledForTestRun, timeout: Duration = .seconds(120),
                       requestId id: String = UUID().uuidString.lowercased()) async throws -> Outcome {
        let (seconds, attoseconds) = deadline.components
        let deadlineMs = Int64((Date().timeIntervalSince1970 + Double(seconds) + Double(attoseconds) / 1e18) * 1000)
        return try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask {
                // Cancelled when the timeout below fires: the waiter is then resumed with the
                // cancellation, or the group (which waits for every child) would wait forever.
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        self.state.enqueue(.init(id: id, event: event, deadlineMs: deadlineMs), waiter: continuation)
                    }
                } onCancel: {
                    self.state.abandon(id)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout.scaledForTestRun)
                throw LoopbackError(description: "no answer from the runtime within \(timeout.scaledForTestRun)")
            }
            defer { group.cancelAll() }
            let outcome = try await group.next()!
            return outcome
        }
    }
}

struct PendingInvocation: Sendable {
    var id: String
    var event: Data
    var deadlineMs: Int64
}

/// The queue of events, the runtime's parked `next` requests, and who waits for which answer.
final class StandInState: Sendable {
    private struct Inner {
        var queue: [PendingInvocation] = []
        var parked: [@Sendable (PendingInvocation) -> Void] = []
        var waiters: [String: CheckedContinuation<LambdaRuntimeStandIn.Outcome, any Error>] = [:]
        var initErrors: [(type: String, body: Data)] = []
        /// Invocations whose caller stopped waiting (possibly before its waiter was enqueued).
        var abandoned: Set<String> = []
    }
    private let inner = Mutex(Inner())

    var initErrors: [(type: String, body: Data)] { inner.withLock { $0.initErrors } }

    func enqueue(_ invocation: PendingInvocation, waiter: CheckedContinuation<LambdaRuntimeStandIn.Outcome, any Error>) {
        let (deliver, abandoned) = inner.withLock { inner -> ((@Sendable (PendingInvocation) -> Void)?, Bool) in
            if inner.abandoned.contains(invocation.id) { return (nil, true) }
            inner.waiters[invocation.id] = waiter
            if inner.parked.isEmpty {
                inner.queue.append(invocation)
                return (nil, false)
            }
            return (inner.parked.removeFirst(), false)
        }
        if abandoned { return waiter.resume(throwing: CancellationError()) }
        deliver?(invocation)
    }

    /// A `next` request: answered now when an event waits, else parked until one comes.
    func next(_ deliver: @escaping @Sendable (PendingInvocation) -> Void) {
        let ready = inner.withLock { inner -> PendingInvocation? in
            if inner.queue.isEmpty {
                inner.parked.append(deliver)
                return nil
            }
            return inner.queue.removeFirst()
        }
        if let ready { deliver(ready) }
    }

    /// The caller of ``LambdaRuntimeStandIn/invoke(_:deadline:timeout:requestId:)`` stopped
    /// waiting for `id`: its waiter, if enqueued, is resumed with `CancellationError`.
    func abandon(_ id: String) {
        let waiter = inner.withLock { inner in
            inner.abandoned.insert(id)
            return inner.waiters.removeValue(forKey: id)
        }
        waiter?.resume(throwing: CancellationError())
    }

    func answer(_ id: String, _ outcome: LambdaRuntimeStandIn.Outcome) -> Bool {
        let waiter = inner.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume(returning: outcome)
        return waiter != nil
    }

    func recordInitError(type: String, body: Data) {
        inner.withLock { $0.initErrors.append((type, body)) }
    }
}

final class StandInHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let state: StandInState
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(state: StandInState) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            route(head, Data(body.readableBytesView), context: context)
        }
    }

    private func route(_ head: HTTPRequestHead, _ body: Data, context: ChannelHandlerContext) {
        let prefix = "/2018-06-01/runtime/"
        guard head.uri.hasPrefix(prefix) else { return respond(context, .notFound) }
        let path = head.uri.dropFirst(prefix.count).split(separator: "/").map(String.init)
        switch (head.method, path.count, path.first, path.last) {
        case (.GET, 2, "invocation", "next"):
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            state.next { invocation in
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    var headers = HTTPHeaders()
                    headers.add(name: "Lambda-Runtime-Aws-Request-Id", value: invocation.id)
                    headers.add(name: "Lambda-Runtime-Deadline-Ms", value: String(invocation.deadlineMs))
                    headers.add(name: "Lambda-Runtime-Invoked-Function-Arn", value: LambdaRuntimeStandIn.functionArn)
                    headers.add(name: "Lambda-Runtime-Trace-Id", value: LambdaRuntimeStandIn.traceId)
                    handler.respond(context, .ok, headers: headers, body: invocation.event)
                }
            }
        case (.POST, 3, "invocation", "response"):
            respond(context, state.answer(path[1], .response(body)) ? .accepted : .badRequest)
        case (.POST, 3, "invocation", "error"):
            let type = head.headers.first(name: "Lambda-Runtime-Function-Error-Type") ?? "Unknown"
            respond(context, state.answer(path[1], .error(type: type, body: body)) ? .accepted : .badRequest)
        case (.POST, 2, "init", "error"):
            state.recordInitError(type: head.headers.first(name: "Lambda-Runtime-Function-Error-Type") ?? "Unknown", body: body)
            respond(context, .accepted)
        default:
            respond(context, .notFound)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(),
                         body: Data = Data(#"{"status":"OK"}"#.utf8)) {
        var headers = headers
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
