import Foundation

/// Where the findings a re-proof compares with are kept: Security Hub (the handlers, when they
/// publish), the watch's own state file, or nowhere (every finding found is reported as open,
/// none as resolved).
public protocol FindingLedger: Sendable {
    /// The findings open now for these users.
    func openFindings(of userIds: [String]) async throws -> [Finding]
}

/// No memory: nothing is open before a re-proof, so what it finds is reported each time (with
/// the same finding identity), and nothing is ever reported resolved.
public struct NoFindingLedger: FindingLedger {
    public init() {}

    public func openFindings(of userIds: [String]) async throws -> [Finding] { [] }
}
