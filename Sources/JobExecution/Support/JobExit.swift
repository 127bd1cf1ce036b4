/// How a command, a job or a handler's start ends other than success: an exit code (the contract
/// in the README: 0 done, 1 findings, 2 could not run) and one line for stderr. Thrown by the
/// execution the command line, `watch` and the Lambda handlers share; the command line turns it
/// into its exit code, a Lambda handler into an init or invocation error.
public struct JobExit: Error, CustomStringConvertible {
    public var code: Int32
    public var message: String?

    public init(code: Int32, message: String? = nil) {
        self.code = code
        self.message = message
    }

    public var description: String { message ?? "exit \(code)" }

    /// `1`: findings at or above `--fail-on`, or a failed verification.
    public static func findings(_ message: String? = nil) -> Self { .init(code: 1, message: message) }
    /// `2`: a usage error.
    public static func usage(_ message: String) -> Self { .init(code: 2, message: message) }
    /// `2`: configuration or operational error; the run could not be completed.
    public static func failure(_ message: String) -> Self { .init(code: 2, message: message) }
}
