import Foundation

extension Settings {
    /// The environment variable that sets "now" for what compares against the clock (the grace
    /// period of `rotate-keys --mode prune-orphans`): an RFC 3339 instant. Meant for tests and
    /// replays; unset, the system clock is used.
    static let nowVariable = "USERVAULT_NOW"

    /// Now: `USERVAULT_NOW` when set, else the system clock. Read once per job, at the edge.
    ///
    /// - Throws: a usage error (exit 2) when `USERVAULT_NOW` is not an RFC 3339 instant.
    func now() throws -> Date {
        guard let text = environment[Self.nowVariable], !text.isEmpty else { return Date() }
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = plain.date(from: text) ?? fractional.date(from: text) else {
            throw CLIExit.usage("\(Self.nowVariable) must be an RFC 3339 instant such as 2026-12-07T02:00:00Z (got '\(text)')")
        }
        return date
    }
}
