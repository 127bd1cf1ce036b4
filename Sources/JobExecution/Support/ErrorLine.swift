import Foundation

/// Errors as one line: what stderr, a log line's `error` and a Lambda error message carry.
public enum ErrorLine {
    /// The first line of `error`'s description.
    public static func of(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "unknown error"
    }

    /// `uservault: error: MESSAGE (HINT)` on stderr.
    public static func write(_ message: String, hint: String? = nil) {
        var line = "uservault: error: \(message)"
        if let hint { line += " (\(hint))" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
