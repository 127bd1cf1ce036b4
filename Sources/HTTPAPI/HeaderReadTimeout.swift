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
/// next byte start it again once the response has ended.
final class HeaderReadTimeout: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let logger: Logger
    private var timer: Scheduled<Void>?
    /// A head has arrived and its response has not ended yet.
    private var requestInProgress = false

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
        requestInProgress = true
        stop()
    }

    fileprivate func responseEnded() {
        requestInProgress = false
    }

    /// The decoded side of ``HeaderReadTimeout``: tells it when a head arrives and when its
    /// response ends.
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
            if case .head = unwrapInboundIn(data) { clock.headArrived() }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { clock.responseEnded() }
            context.write(data, promise: promise)
        }
    }
}
