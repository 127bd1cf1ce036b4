import Foundation

/// What a re-proof changed: the findings it opened, those it resolved, and every finding it
/// found (opened now or open before), by the nightly audit's identity — one finding per
/// (user, code) on a table (``OCSFFindings/findingUID(_:backend:table:account:region:)``).
///
/// ```swift
/// let open = try await ledger.openFindings(of: round.proven.map(\.userId))
/// let changes = FindingChanges(open: open, proven: round.proven, coverage: .init(depth: .standard, keyState: .describe),
///                              acceptance: acceptance)
/// ```
///
/// Accepted findings (``FindingAcceptance``: the suppressions file) are marked here, once, so that
/// every output sees the same: an OCSF line says Suppressed, Security Hub holds it SUPPRESSED, the
/// watch's line, state and report carry the mark. An accepted finding is still opened and
/// resolved like any other; one that was open as accepted and is found now with no rule
/// accepting it (its rule ended or went) is opened again, as it counts again (the audit's delta
/// says "no longer accepted"). One open before and accepted now is not opened again: only its
/// mark changes.
public struct FindingChanges: Sendable {
    /// Found now and not open before (or open as accepted, and accepted no more).
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
    public init(open: [Finding], proven: [ContinuousProof.Proven], coverage: ReproofCoverage, acceptance: FindingAcceptance? = nil) {
        let today = acceptance.map { CalendarDay($0.now()) }
        let provenIds = Set(proven.map(\.userId))
        var openByKey: [String: Finding] = [:]
        for finding in open {
            guard let userId = finding.userId, provenIds.contains(userId) else { continue }
            openByKey[Self.key(userId, finding.code)] = finding
        }
        for user in proven {
            // The one place where a re-proof's findings become the ones reported: accepted findings
            // are marked here, so that every output — lines, OCSF, Security Hub, the watch's ledger
            // and report — sees the same.
            var seen: Set<FindingCode> = []
            for found in user.findings where seen.insert(found.code).inserted {
                var finding = found
                if let acceptance, let today {
                    finding.suppressed = acceptance.suppressions.acceptance(of: finding, table: acceptance.table, today: today)
                }
                current.append(finding)
                let before = openByKey[Self.key(user.userId, finding.code)]
                if before == nil || (before?.suppressed != nil && finding.suppressed == nil) { opened.append(finding) }
            }
            for (key, finding) in openByKey.sorted(by: { $0.key < $1.key }) where finding.userId == user.userId {
                guard !seen.contains(finding.code), !user.exists || coverage.decides(finding.code) else { continue }
                resolved.append(finding)
                openByKey[key] = nil
            }
        }
    }

    public var isEmpty: Bool { opened.isEmpty && resolved.isEmpty }

    /// What a suppressions rule accepts of ``current``.
    public var accepted: [Finding] { current.filter { $0.suppressed != nil } }

    static func key(_ userId: String, _ code: FindingCode) -> String { "\(userId)|\(code.rawValue)" }
}
