import Foundation

/// What a re-proof changed: the findings it opened, those it resolved, and every finding it
/// found (opened now or open before), by the nightly audit's identity — one finding per
/// (user, code) on a table (``OCSFFindings/findingUID(_:backend:table:account:region:)``).
///
/// ```swift
/// let open = try await ledger.openFindings(of: round.proven.map(\.userId))
/// let changes = FindingChanges(open: open, proven: round.proven, coverage: .init(depth: .standard, keyState: .describe))
/// ```
public struct FindingChanges: Sendable {
    /// Found now and not open before.
    public var opened: [Finding] = []
    /// Open before; the re-proof decides the code and no longer finds it (or the user is gone).
    public var resolved: [Finding] = []
    /// Everything the re-proof found (``opened`` among them).
    public var current: [Finding] = []

    public init() {}

    /// The changes between what was `open` for these users and what `proven` found.
    ///
    /// Only what the re-proof decides can be resolved (``ReproofCoverage``): a shared key or a
    /// duplicate email is the nightly audit's to close, and so is an owner-tag finding for a
    /// standard-depth re-proof. A user that is gone resolves every finding it had.
    public init(open: [Finding], proven: [ContinuousProof.Proven], coverage: ReproofCoverage) {
        let provenIds = Set(proven.map(\.userId))
        var openByKey: [String: Finding] = [:]
        for finding in open {
            guard let userId = finding.userId, provenIds.contains(userId) else { continue }
            openByKey[Self.key(userId, finding.code)] = finding
        }
        for user in proven {
            // One place where a re-proof's findings become the ones reported: accepted findings
            // (issue #24, suppressions) are to be applied here, so that every output — lines, OCSF,
            // Security Hub, the watch's ledger and report — sees the same.
            var seen: Set<FindingCode> = []
            for finding in user.findings where seen.insert(finding.code).inserted {
                current.append(finding)
                if openByKey[Self.key(user.userId, finding.code)] == nil { opened.append(finding) }
            }
            for (key, finding) in openByKey.sorted(by: { $0.key < $1.key }) where finding.userId == user.userId {
                guard !seen.contains(finding.code), !user.exists || coverage.decides(finding.code) else { continue }
                resolved.append(finding)
                openByKey[key] = nil
            }
        }
    }

    public var isEmpty: Bool { opened.isEmpty && resolved.isEmpty }

    static func key(_ userId: String, _ code: FindingCode) -> String { "\(userId)|\(code.rawValue)" }
}
