import NIOCore
import NIOHTTP1

/// The last handler of a pooled HTTP/1.1 connection: one request at a time, its whole answer
/// collected into one buffer, a deadline on the event loop.
///
/// A request is written into the pipeline as a ``Pending`` value that carries the promise its
/// answer completes. Whatever ends the exchange early (the deadline, an answer larger than the
/// limit, a decoding error, the peer closing) fails that promise and closes the connection, so
/// a half-read answer can never be taken for the next request's.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Pending
    typealias OutboundOut = HTTPClientRequestPart

    /// One request as it enters the pipeline.
    struct Pending: Sendable {
        var head: HTTPRequestHead
        var body: ByteBuffer?
        /// From the moment the request is written until the end of the answer.
        var timeout: TimeAmount
        var answer: EventLoopPromise<Answer>
    }

    /// A complete answer.
    struct Answer: Sendable {
        var head: HTTPResponseHead
        var body: ByteBuffer
        /// The server keeps the connection open for another request.
        var reusable: Bool
    }

    private let maxResponseBytes: Int
    private var answer: EventLoopPromise<Answer>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    /// When the exchange in progress times out.
    private var deadline: NIODeadline?
    private var timeout = TimeAmount.zero
    /// One timer per connection, not per request: it is left armed when an exchange ends in time
    /// and, when it fires, re-arms for the exchange in progress (or stops if there is none).
    /// Scheduling and cancelling a timer per request cost 2.4% of the audit's CPU.
    private var timer: (fires: NIODeadline, task: Scheduled<Void>)?

    init(maxResponseBytes: Int) {
        self.maxResponseBytes = maxResponseBytes
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let pending = unwrapOutboundIn(data)
        guard answer == nil else {
            // The pool hands a connection to one request at a time; a second one is a bug.
            pending.answer.fail(TransportFailure(isTimeout: false, description: "a connection was given two requests at once"))
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        answer = pending.answer
        head = nil
        timeout = pending.timeout
        let deadline = NIODeadline.now() + pending.timeout
        self.deadline = deadline
        if let timer, timer.fires <= deadline {
            // Armed early enough: it re-arms for this deadline when it fires.
        } else {
            timer?.task.cancel()
            arm(context, at: deadline)
        }
        context.write(wrapOutboundOut(.head(pending.head)), promise: nil)
        if let body = pending.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, at fires: NIODeadline) {
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: fires) { [self] in
            timer = nil
            guard let deadline else { return }
            if deadline <= .now() {
                end(context, failure: TransportFailure(isTimeout: true, description: "no complete answer within \(Self.seconds(timeout))"))
            } else {
                arm(context, at: deadline)
            }
        }
        timer = (fires, task)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let answer else {
            // Nothing was asked: an answer now could only be taken for the next request's.
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = context.channel.allocator.buffer(capacity: min(Self.contentLength(head) ?? 0, maxResponseBytes))
        case .body(var part):
            guard body.readableBytes + part.readableBytes <= maxResponseBytes else {
                end(context, failure: TransportFailure(isTimeout: false,
                                                       description: "an answer larger than \(maxResponseBytes) bytes"))
                return
            }
            body.writeBuffer(&part)
        case .end:
            guard let head else { return end(context, failure: TransportFailure(isTimeout: false, description: "an answer without a head")) }
            deadline = nil
            self.answer = nil
            self.head = nil
            let reusable = head.isKeepAlive
            if !reusable { context.close(promise: nil) }
            answer.succeed(Answer(head: head, body: body, reusable: reusable))
            body = ByteBuffer()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        fail(TransportFailure(isTimeout: false, description: "the connection closed before the answer was complete"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        end(context, failure: TransportFailure(isTimeout: false, description: "\(error)"))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        fail(TransportFailure(isTimeout: false, description: "the connection closed before the answer was complete"))
    }

    /// Fails the exchange in progress, if any, and closes the connection.
    private func end(_ context: ChannelHandlerContext, failure: TransportFailure) {
        fail(failure)
        context.close(promise: nil)
    }

    private func fail(_ failure: TransportFailure) {
        deadline = nil
        head = nil
        if let answer {
            self.answer = nil
            answer.fail(failure)
        }
    }

    private static func contentLength(_ head: HTTPResponseHead) -> Int? {
        head.headers.first(name: "content-length").flatMap { Int($0) }
    }

    private static func seconds(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
