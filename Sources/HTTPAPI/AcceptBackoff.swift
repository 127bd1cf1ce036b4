import Foundation
import Logging
import NIOCore

/// Stops accepting connections for a while when `accept(2)` fails for lack of descriptors or
/// memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`). Added first in the listening channel's
/// pipeline, so it sees those errors before anything else.
///
/// NIO's own `AcceptBackoffHandler` only delays the next read *request*; after such an error
/// the pending connection stays queued, the listening socket stays readable and registered,
/// and the event loop calls `accept` again at once: a busy loop on one core for as long as
/// descriptors are short. Turning `autoRead` off takes the socket out of the poll set; it is
/// turned back on after ``ConnectionLimits/acceptBackoff``.
final class AcceptBackoff: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let delay: TimeAmount
    private let logger: Logger
    private var resume: Scheduled<Void>?
    /// Whether this shortage was logged already (once until a connection is accepted again).
    private var reported = false

    private static let shortages: Set<CInt> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]

    init(delay: Duration, logger: Logger) {
        self.delay = TimeAmount(delay)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reported = false
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let shortage = error as? IOError, Self.shortages.contains(shortage.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        guard resume == nil else { return }
        if !reported {
            reported = true
            logger.warning("cannot accept connections: out of descriptors or memory; accepting again in a moment", metadata: [
                "errno": "\(shortage.errnoCode)", "backoffMs": "\(delay.nanoseconds / 1_000_000)",
            ])
        }
        let channel = context.channel
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        resume = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            resume = nil
            try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
        context.fireChannelInactive()
    }
}
