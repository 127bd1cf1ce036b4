import Logging
import NIOCore
import NIOHTTP1

/// Closes a connection whose request head (request line and headers) has not arrived complete
/// within ``ConnectionLimits/headerTimeout``: of the accept, for a connection's first request,
/// or of the first byte of any later one. A kept-alive connection that sends nothing is left to
/// the idle timeout.
///
/// Two handlers share the clock: this one reads raw bytes, first in the pipeline, and starts it;
/// ``RequestWatcher``, just after the HTTP decoder, stops it when a head is decoded and lets the
/// next byte start it again once both the request and its response have ended. A request can
/// end after its response (a 413 answered before its body is read): the rest of that body is
/// not the start of a next request, and does not start the clock.
final class HeaderReadTimeout: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let logger: Logger
    private var timer: Scheduled<Void>?
    /// A head has arrived and its request (head and body) has not been read to its end yet.
    private var awaitingRequestEnd = false
    /// A head has arrived and its response has not ended yet.
    private var awaitingResponseEnd = false
    /// Bytes that arrive now belong to a request already under way, not to a next one.
    private var requestInProgress: Bool { awaitingRequestEnd || awaitingResponseEnd }

    init(timeout: Duration, logger: Logger) {
        self.timeout = TimeAmount(timeout)
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !requestInProgress { start(context) }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    /// Starts the clock unless it runs already.
    private func start(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let timeout = self.timeout
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            timer = nil
            logger.info("closing a connection whose request headers did not arrive in time", metadata: [
                "headerTimeoutMs": "\(timeout.nanoseconds / 1_000_000)",
            ])
            context.close(promise: nil)
        }
    }

    private func stop() {
        timer?.cancel()
        timer = nil
    }

    fileprivate func headArrived() {
        awaitingRequestEnd = true
        awaitingResponseEnd = true
        stop()
    }

    fileprivate func requestEnded() {
        awaitingRequestEnd = false
    }

    fileprivate func responseEnded() {
        awaitingResponseEnd = false
    }

    /// The decoded side of ``HeaderReadTimeout``: tells it when a head arrives, when its request
    /// ends and when its response ends.
    final class RequestWatcher: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        private let clock: HeaderReadTimeout

        init(_ clock: HeaderReadTimeout) {
            self.clock = clock
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: clock.headArrived()
            case .body: break
            case .end: clock.requestEnded()
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { clock.responseEnded() }
            context.write(data, promise: promise)
        }
    }
}
