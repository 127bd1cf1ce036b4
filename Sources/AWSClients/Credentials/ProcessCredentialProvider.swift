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

    /// Runs the command, returning its standard output (bounded) and exit status; terminates it
    /// after ``timeout``.
    func run() async throws -> (Data, Int32) {
        let process = Process()
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
        let name = name
        return try await withThrowingTaskGroup(of: (Data, Int32)?.self) { group in
            group.addTask { await running.collect(limit: Self.maxOutputBytes) }
            group.addTask { [timeout] in
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
                running.terminate()
                throw CredentialError.invalid(name, "the command did not finish within \(timeout)")
            }
            throw CancellationError()
        }
    }
}

/// A started child process whose output is read on a dispatch thread, off the cooperative pool.
private final class RunningProcess: @unchecked Sendable {
    // Process and FileHandle are thread-safe for these uses: reading one handle from one
    // thread, and terminate()/waitUntilExit() from others.
    private let process: Process
    private let output: FileHandle

    init(process: Process, output: FileHandle) {
        self.process = process
        self.output = output
    }

    func collect(limit: Int) async -> (Data, Int32) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var data = Data()
                while true {
                    let chunk = self.output.availableData
                    if chunk.isEmpty { break }
                    if data.count < limit { data.append(chunk.prefix(limit - data.count)) }
                }
                self.process.waitUntilExit()
                continuation.resume(returning: (data, self.process.terminationStatus))
            }
        }
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }
}

extension ProcessCredentialProvider {
    public var description: String { "\(name) (command not shown)" }
}
