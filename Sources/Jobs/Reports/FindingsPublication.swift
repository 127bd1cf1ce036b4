/// The `published` section of `report.json`: what publishing an audit's findings to Security Hub
/// sent and what it could not. Counts and error codes only, never a finding's content.
public struct FindingsPublication: Sendable, Codable, Hashable {
    /// `securityhub`.
    public var target: String
    /// Findings Security Hub took (this run's ACTIVE ones and the ARCHIVED ones).
    public var sent = 0
    /// Findings it still refused after the retries, or that were never sent.
    public var failed = 0
    /// Findings open before but gone now, sent once more as ARCHIVED (among `sent`).
    public var archived = 0
    /// Whether gone findings were archived: only a complete run over every segment does.
    public var archiving = false
    /// Security Hub's `ErrorCode` → findings refused with it.
    public var errorCodes: [String: Int]?
    /// Why publishing stopped (one line), when it did.
    public var error: String?

    public init(target: String) {
        self.target = target
    }

    /// Everything was sent.
    public var succeeded: Bool { failed == 0 && error == nil }

    /// One line for people: `published to securityhub: 12 sent (3 archived), 0 failed`.
    public var summary: String {
        var line = "published to \(target): \(sent) sent (\(archived) archived), \(failed) failed"
        if let errorCodes, !errorCodes.isEmpty {
            line += " (" + errorCodes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        if let error { line += ": \(error)" }
        if !archiving { line += "; nothing archived (not a complete run over every segment)" }
        return line
    }
}
