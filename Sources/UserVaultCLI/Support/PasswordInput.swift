import Foundation
import JobExecution
#if canImport(Glibc)
import Glibc
#endif

/// Where `set-password` reads a new password: standard input when it is not a terminal (one
/// line; its line ending is dropped), else a prompt on the terminal with echo off, typed twice.
/// Never an argument or the environment: those end up in shell histories, process lists and
/// crash reports. The password is never written anywhere.
enum PasswordInput {
    /// More than this on standard input is not a password.
    static let maxBytes = 64 * 1024

    /// Reads the password on a thread of its own (a blocking read must not hold a thread of the
    /// concurrency pool, which may be an event loop).
    static func read(prompt: String) async throws -> String {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<String, any Error>, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: Result { isatty(STDIN_FILENO) == 1 ? try fromTerminal(prompt) : try fromStandardInput() })
            }
        }
        return try result.get()
    }

    static func fromStandardInput() throws -> String {
        let data = try FileHandle.standardInput.read(upToCount: maxBytes + 1) ?? Data()
        return try parse(data)
    }

    /// Standard input's bytes as a password: UTF-8, one line (a final `\n` or `\r\n` dropped).
    static func parse(_ data: Data) throws -> String {
        guard data.count <= maxBytes else { throw JobExit.usage("standard input holds more than \(maxBytes) bytes: not a password") }
        guard var text = String(data: data, encoding: .utf8) else { throw JobExit.usage("the password on standard input is not UTF-8") }
        if text.hasSuffix("\r\n") {
            text.removeLast(1)  // "\r\n" is one Character
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        guard !text.isEmpty else {
            throw JobExit.usage("no password on standard input: pipe it in, e.g. printf '%s\\n' \"$NEW_PASSWORD\" | uservault set-password USER_ID")
        }
        guard !text.contains(where: \.isNewline) else {
            throw JobExit.usage("standard input holds more than one line: give the password alone, on one line")
        }
        return text
    }

    static func fromTerminal(_ prompt: String) throws -> String {
        let first = try readHidden(prompt)
        let second = try readHidden("Type it again: ")
        guard first == second else { throw JobExit.usage("the two passwords typed differ: nothing was changed") }
        return first
    }

    /// One line from the terminal with echo off (the newline still shows). The terminal's
    /// settings come back afterwards, and on SIGINT, SIGTERM, SIGHUP or SIGQUIT before the signal
    /// takes its course.
    static func readHidden(_ prompt: String) throws -> String {
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw JobExit.failure("cannot read the terminal's settings (errno \(errno))") }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        quiet.c_lflag |= tcflag_t(ECHONL)
        TerminalRestore.arm(saved)
        defer { TerminalRestore.disarm() }
        // Echo off before the prompt shows (what is typed after it is never echoed), and nothing
        // typed is discarded (TCSANOW, not TCSAFLUSH).
        guard tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0 else { throw JobExit.failure("cannot turn the terminal's echo off (errno \(errno))") }
        defer { _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
        FileHandle.standardError.write(Data(prompt.utf8))
        guard let line = readLine(strippingNewline: true) else { throw JobExit.usage("no password was typed") }
        return line
    }
}

/// Puts the terminal's settings back when a signal ends the process during a hidden read, then
/// lets the signal do what it does by default.
private enum TerminalRestore {
    /// Written before the handlers are installed and read only by them (tcsetattr is
    /// async-signal-safe).
    nonisolated(unsafe) static var saved = termios()
    static let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    static func arm(_ settings: termios) {
        saved = settings
        for number in signals {
            signal(number) { number in
                _ = tcsetattr(STDIN_FILENO, TCSANOW, &TerminalRestore.saved)
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    static func disarm() {
        for number in signals { signal(number, SIG_DFL) }
    }
}
