import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The connections to one origin (scheme, host, port): at most `limit` open, idle ones reused
/// (the calling event loop's first, then the most recent), requests beyond the limit served in
/// arrival order as connections free up.
///
/// The pool only counts and hands out; ``HTTP1Transport`` connects and runs the exchanges. A
/// request leases either an idle connection or the right to open one, and gives it back with
/// ``release(_:reusable:)`` (or ``connectFailed()`` when opening failed).
final class HTTPConnectionPool: Sendable {
    enum Lease: Sendable {
        case idle(any Channel)
        case connect
    }

    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Lease, any Error>
    }

    private struct State {
        var idle: [(channel: any Channel, since: NIODeadline)] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiter = 0
        var closed = false
    }

    private let limit: Int
    private let idleTimeout: TimeAmount
    private let state = NIOLockedValueBox(State())

    init(limit: Int, idleTimeout: TimeAmount) {
        precondition(limit > 0, "a pool needs room for one connection")
        self.limit = limit
        self.idleTimeout = idleTimeout
    }

    /// An idle connection, or the right to open one; waits (cancellably) while `limit` are busy.
    /// - Parameter loop: the event loop to prefer, by default the caller's (see `take`).
    func lease(preferring loop: (any EventLoop)? = MultiThreadedEventLoopGroup.currentEventLoop) async throws -> Lease {
        enum Immediate { case lease(Lease), wait(Int), closed }
        var stale: [any Channel] = []
        let immediate: Immediate = state.withLockedValue { state in
            guard !state.closed else { return .closed }
            if let lease = take(&state, stale: &stale, preferring: loop) { return .lease(lease) }
            state.nextWaiter += 1
            return .wait(state.nextWaiter)
        }
        for channel in stale { channel.close(promise: nil) }
        let id: Int
        switch immediate {
        case .lease(let lease): return lease
        case .closed: throw TransportFailure(isTimeout: false, description: "the HTTP transport is shut down")
        case .wait(let waiter): id = waiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Asked again under the lock that queues the waiter: a connection given back since
                // the first look would otherwise find no waiter, and this one would wait for the next.
                var stale: [any Channel] = []
                let outcome: Result<Lease, any Error>? = state.withLockedValue { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.closed {
                        return .failure(TransportFailure(isTimeout: false, description: "the HTTP transport is shut down"))
                    }
                    if let lease = take(&state, stale: &stale, preferring: loop) { return .success(lease) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                for channel in stale { channel.close(promise: nil) }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// A live idle connection, or room to open one; `nil` when all `limit` are busy. Dead and
    /// expired idle connections are dropped into `stale` (to close outside the lock).
    ///
    /// On an event loop, a connection of that loop comes first, then room to open one (on that
    /// loop: see ``HTTP1Transport``), then another loop's: a request whose task and connection
    /// share a thread wakes no other thread to send or to resume (4% of the audit's CPU). Off
    /// the loops, or when nothing else is left, the most recently used connection.
    private func take(_ state: inout State, stale: inout [any Channel], preferring loop: (any EventLoop)?) -> Lease? {
        let now = NIODeadline.now()
        var index = state.idle.count
        var other: Int?
        while index > 0 {
            index -= 1
            let (channel, since) = state.idle[index]
            guard channel.isActive && now - since < idleTimeout else {
                stale.append(channel)
                state.idle.remove(at: index)
                state.open -= 1
                other = other.map { $0 - 1 }
                continue
            }
            if let loop, channel.eventLoop === loop { return .idle(state.idle.remove(at: index).channel) }
            if other == nil { other = index }
        }
        if let other, loop == nil {
            return .idle(state.idle.remove(at: other).channel)
        }
        if state.open < limit {
            state.open += 1
            return .connect
        }
        if let other { return .idle(state.idle.remove(at: other).channel) }
        return nil
    }

    /// Gives back a leased connection: kept for the next request if `reusable`, closed otherwise.
    func release(_ channel: any Channel, reusable: Bool) {
        let keep = reusable && channel.isActive
        let (handOff, close) = state.withLockedValue { state -> ((Waiter, Lease)?, Bool) in
            if !keep { state.open -= 1 }
            if state.closed { return (nil, true) }
            if !state.waiters.isEmpty {
                let waiter = state.waiters.removeFirst()
                if keep { return ((waiter, .idle(channel)), false) }
                state.open += 1
                return ((waiter, .connect), true)
            }
            if keep { state.idle.append((channel, .now())) }
            return (nil, !keep)
        }
        if close { channel.close(promise: nil) }
        if let (waiter, lease) = handOff { waiter.continuation.resume(returning: lease) }
    }

    /// Opening a connection under a `.connect` lease failed: its place goes to the next waiter.
    func connectFailed() {
        let waiter: Waiter? = state.withLockedValue { state in
            state.open -= 1
            guard !state.closed, !state.waiters.isEmpty else { return nil }
            state.open += 1
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: .connect)
    }

    /// Closes the idle connections and refuses new leases; waiting requests fail.
    func shutdown() -> [any Channel] {
        let (idle, waiters) = state.withLockedValue { state in
            state.closed = true
            defer { state.idle = []; state.waiters = [] }
            return (state.idle.map(\.channel), state.waiters)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: TransportFailure(isTimeout: false, description: "the HTTP transport is shut down"))
        }
        return idle
    }
}
