import Foundation

/// Why ``APIServer`` could not start.
public enum APIServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Binding `host:port` failed: in use, not allowed, or not an address of this machine.
    case cannotListen(host: String, port: Int, errno: Int32)

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let code):
            let reason = switch code {
            case EADDRINUSE: "the address is already in use"
            case EACCES: "permission denied"
            case EADDRNOTAVAIL: "not an address of this machine"
            default: String(cString: strerror(code))
            }
            return "cannot listen on \(host):\(port): \(reason)"
        }
    }
}
