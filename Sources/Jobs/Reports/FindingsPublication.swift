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
    /// Accepted findings (a suppressions rule's) Security Hub holds SUPPRESSED, with the rule's reason as a note.
    public var suppressed = 0
    /// Findings this project had suppressed that no rule accepts any more, set back to NEW.
    public var reopened = 0
    /// Findings whose workflow and note `BatchUpdateFindings` set (an import cannot change those of
    /// a finding Security Hub already holds).
    public var workflowUpdates = 0
    /// Security Hub's `ErrorCode` → findings refused with it.
    public var errorCodes: [String: Int]?
    /// Why publishing stopped (one line), when it did.
    public var error: String?

    public init(target: String) {
        self.target = target
    }

    /// Everything was sent.
    public var succeeded: Bool { failed == 0 && error == nil }

    /// One line for people: `published to securityhub: 12 sent (3 archived, 2 suppressed), 0 failed`.
    public var summary: String {
        var details = ["\(archived) archived"]
        if suppressed > 0 { details.append("\(suppressed) suppressed") }
        if reopened > 0 { details.append("\(reopened) reopened") }
        var line = "published to \(target): \(sent) sent (\(details.joined(separator: ", "))), \(failed) failed"
        if let errorCodes, !errorCodes.isEmpty {
            line += " (" + errorCodes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        if let error { line += ": \(error)" }
        if !archiving { line += "; nothing archived (not a complete run over every segment)" }
        return line
    }
}
