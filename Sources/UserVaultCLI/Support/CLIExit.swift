/// How a command ends other than success: an exit code (the contract in the README: 0 done, 1 findings, 2 could not run) and one line for stderr.
struct CLIExit: Error, CustomStringConvertible {
    var code: Int32
    var message: String?

    var description: String { message ?? "exit \(code)" }

    /// `1`: findings at or above `--fail-on`, or a failed verification.
    static func findings(_ message: String? = nil) -> Self { .init(code: 1, message: message) }
    /// `2`: a usage error.
    static func usage(_ message: String) -> Self { .init(code: 2, message: message) }
    /// `2`: configuration or operational error; the run could not be completed.
    static func failure(_ message: String) -> Self { .init(code: 2, message: message) }
}
