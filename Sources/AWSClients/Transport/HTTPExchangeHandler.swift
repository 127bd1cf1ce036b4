import NIOCore

/// The last handler of a pooled HTTP/1.1 connection: one request at a time, written as one
/// buffer, its whole answer parsed by ``HTTP1AnswerParser`` from the connection's bytes, a
/// deadline on the event loop.
///
/// A request is written into the pipeline as a ``Pending`` value that carries the promise its
/// answer completes. Whatever ends the exchange early (the deadline, an answer larger than the
/// limit, a malformed answer, the peer closing) fails that promise and closes the connection,
/// so a half-read answer can never be taken for the next request's.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Pending
    typealias OutboundOut = ByteBuffer
    typealias Answer = HTTP1AnswerParser.Answer

    /// One request as it enters the pipeline.
    struct Pending: Sendable {
        /// Head and body, as ``HTTP1Codec/request(method:target:headers:body:allocator:)`` wrote them.
        var request: ByteBuffer
        /// A HEAD request: its answer has no body whatever its length says.
        var isHead: Bool
        /// From the moment the request is written until the end of the answer.
        var timeout: TimeAmount
        var answer: EventLoopPromise<Answer>
    }

    private let maxResponseBytes: Int
    private var answer: EventLoopPromise<Answer>?
    /// The answer in progress.
    private var parser: HTTP1AnswerParser?
    /// Bytes of the answer that the parser could not use yet (a line cut between two reads).
    private var received: ByteBuffer?
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
        parser = HTTP1AnswerParser(isHead: pending.isHead, maxBodyBytes: maxResponseBytes, allocator: context.channel.allocator)
        received = nil
        timeout = pending.timeout
        let deadline = NIODeadline.now() + pending.timeout
        self.deadline = deadline
        if let timer, timer.fires <= deadline {
            // Armed early enough: it re-arms for this deadline when it fires.
        } else {
            timer?.task.cancel()
            arm(context, at: deadline)
        }
        context.writeAndFlush(wrapOutboundOut(pending.request), promise: promise)
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
        guard let answer, parser != nil else {
            // Nothing was asked: an answer now could only be taken for the next request's.
            context.close(promise: nil)
            return
        }
        var input = unwrapInboundIn(data)
        if var earlier = received {
            received = nil
            earlier.writeBuffer(&input)
            input = earlier
        }
        let complete: Answer?
        do {
            complete = try parser!.parse(&input)
        } catch {
            return end(context, failure: TransportFailure(isTimeout: false, description: "\(error)"))
        }
        guard var complete else {
            if input.readableBytes > 0 { received = input }
            return
        }
        // Bytes after the answer were never asked for: the connection cannot be trusted again.
        if input.readableBytes > 0 { complete.reusable = false }
        finish(context, answer, complete)
    }

    private func finish(_ context: ChannelHandlerContext, _ answer: EventLoopPromise<Answer>, _ complete: Answer) {
        deadline = nil
        self.answer = nil
        parser = nil
        received = nil
        if !complete.reusable { context.close(promise: nil) }
        answer.succeed(complete)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        // An answer without a length ends where the connection does.
        if let answer, let complete = parser?.close() { finish(context, answer, complete) }
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
        parser = nil
        received = nil
        if let answer {
            self.answer = nil
            answer.fail(failure)
        }
    }

    private static func seconds(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
