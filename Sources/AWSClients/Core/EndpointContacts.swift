import Synchronization

/// The endpoints (`host:port`) that have answered a request of this run — with any HTTP status.
///
/// A refused connection to an endpoint that has never answered is a wrong address, not an
/// outage: no retry above the client's own attempts will change it, so the failure is final
/// (``AWSError/isUnreachable``). Once an endpoint has answered, a refusal is an endpoint going
/// away mid-run, and the usual retries apply. One instance is shared by every client of a run
/// (``AWSClientFactory``).
public final class EndpointContacts: Sendable {
    private let answered = Mutex<Set<String>>([])

    public init() {}

    /// Records that `endpoint` answered a request.
    func recordAnswer(from endpoint: String) {
        answered.withLock { _ = $0.insert(endpoint) }
    }

    /// Whether `endpoint` has answered any request of this run.
    public func hasAnswered(_ endpoint: String) -> Bool {
        answered.withLock { $0.contains(endpoint) }
    }
}
