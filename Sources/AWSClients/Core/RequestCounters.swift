import Synchronization

/// Counts what a client did, for job reports (`dynamoRequests`, `kmsRequests`, `retries`, `throttles`).
public final class RequestCounters: Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var requests = 0
        public var retries = 0
        public var throttles = 0
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func request() { state.withLock { $0.requests += 1 } }
    func retry() { state.withLock { $0.retries += 1 } }
    func throttle() { state.withLock { $0.throttles += 1 } }
}
