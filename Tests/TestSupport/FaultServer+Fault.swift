/// One scripted answer of a ``FaultServer``.
public enum Fault: Sendable, CustomStringConvertible {
    /// `200` with `body` (JSON `{}` by default) and extra headers.
    case ok(body: String = "{}", headers: [String: String] = [:])
    /// `status` with an empty body.
    case status(Int)
    /// A throttling error with the service's code (`ThrottlingException`,
    /// `ProvisionedThroughputExceededException`, `SlowDown`, …).
    case throttle(code: String, status: Int = 400)
    /// An error answer with the service's code and message.
    case error(status: Int, code: String, message: String = "injected by the fault server")
    /// Closes the connection without answering, with a TCP reset (`SO_LINGER` 0).
    case reset
    /// Waits, then answers `200 {}`: longer than a client's timeout, this is a timeout.
    case slow(Duration)
    /// Sends the head with a `Content-Length` larger than the body that follows, then closes.
    case truncated

    public var description: String {
        switch self {
        case .ok: return "ok"
        case .status(let status): return "status \(status)"
        case .throttle(let code, let status): return "throttle \(code) (\(status))"
        case .error(let status, let code, _): return "error \(code) (\(status))"
        case .reset: return "reset"
        case .slow(let delay): return "slow \(delay)"
        case .truncated: return "truncated"
        }
    }
}
