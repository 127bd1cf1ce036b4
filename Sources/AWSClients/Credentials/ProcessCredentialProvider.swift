import AWSSigning
import Foundation
import Logging

/// Credentials printed by an external command: a profile's `credential_process`.
///
/// The command runs through `/bin/sh -c` with the process's environment and no input, and must
/// print a JSON document of
/// [Version 1](https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html):
/// `{"Version": 1, "AccessKeyId": …, "SecretAccessKey": …, "SessionToken": …, "Expiration": …}`
/// (`SessionToken` and `Expiration` optional).
///
/// - Warning: the command's output holds the secret: it is never logged nor quoted in an
///   error; neither is its standard error. A failure reports the exit status only.
public struct ProcessCredentialProvider: CredentialProvider, CustomStringConvertible {
    public let command: String
    public let timeout: Duration
    let name: String
    static let maxOutputBytes = 64 << 10

    public init(command: String, timeout: Duration = .seconds(60), name: String = "credential_process") {
        self.command = command
        self.timeout = timeout
        self.name = name
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        let (output, status) = try await run()
        guard status == 0 else {
            throw CredentialError.invalid(name, "the command exited with status \(status)")
        }
        return try TemporaryCredentialsDocument.credentials(from: output, provider: name, requireVersion1: true)
    }

    /// Runs the command, returning its standard output (bounded) and exit status; stops it
    /// after ``timeout``, or when the calling task is cancelled.
    ///
    /// The deadline is a dispatch timer and the output is read on a dispatch thread, so neither
    /// needs a free Swift concurrency thread: a busy process still gives up on a hung command on
    /// time. The command gets SIGTERM, then SIGKILL a second later (a signal mask inherited
    /// from the parent may block SIGTERM).
    func run() async throws -> (Data, Int32) {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CredentialError.invalid(name, "cannot start /bin/sh")
        }
        let running = RunningProcess(process: process, output: output.fileHandleForReading)
        let result = await withTaskCancellationHandler {
            await running.outcome(limit: Self.maxOutputBytes, timeout: timeout)
        } onCancel: {
            running.abandon()
        }
        try Task.checkCancellation()
        guard let result else { throw CredentialError.invalid(name, "the command did not finish within \(timeout)") }
        return result
    }
}

/// A started child process whose output is read on a dispatch thread, off the cooperative pool,
/// racing a dispatch timer: the first to finish answers.
private final class RunningProcess: @unchecked Sendable {
    // SpawnedProcess and FileHandle are thread-safe for these uses: reading one handle from one
    // thread, and terminate()/kill from others. `waiting` and `answered` are guarded by `lock`.
    private let process: SpawnedProcess
    private let output: FileHandle
    private let lock = NSLock()
    private var waiting: CheckedContinuation<(Data, Int32)?, Never>?
    private var answered = false

    init(process: SpawnedProcess, output: FileHandle) {
        self.process = process
        self.output = output
    }

    /// The output and exit status, or `nil` when `timeout` passed first (the command is stopped).
    func outcome(limit: Int, timeout: Duration) async -> (Data, Int32)? {
        await withCheckedContinuation { continuation in
            let abandoned = lock.withLock {
                waiting = continuation
                return answered
            }
            if abandoned { return answer(nil) }
            DispatchQueue.global().async {
                var data = Data()
                while true {
                    let chunk = self.output.availableData
                    if chunk.isEmpty { break }
                    if data.count < limit { data.append(chunk.prefix(limit - data.count)) }
                }
                self.process.waitUntilExit()
                self.answer((data, self.process.terminationStatus))
            }
            let (seconds, attoseconds) = timeout.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { self.abandon() }
        }
    }

    /// Gives up on the command: answers `nil` (unless it already answered) and stops it.
    func abandon() {
        answer(nil)
        guard process.isRunning else { return }
        process.terminate()
        // `signal` does nothing once the command is reaped, so its pid cannot have been reused.
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(1)) { [process] in process.signal(SIGKILL) }
    }

    private func answer(_ result: (Data, Int32)?) {
        let continuation: CheckedContinuation<(Data, Int32)?, Never>? = lock.withLock {
            if answered && waiting == nil { return nil }
            answered = true
            defer { waiting = nil }
            return waiting
        }
        continuation?.resume(returning: result)
    }
}

extension ProcessCredentialProvider {
    public var description: String { "\(name) (command not shown)" }
}
