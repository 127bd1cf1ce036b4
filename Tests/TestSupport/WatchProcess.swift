import AWSClients
import Foundation

/// A running `uservault watch`, its stdout and stderr in files: what it printed so far, waited
/// for by condition (never for a duration), and stopped by SIGTERM or killed by SIGKILL.
public final class WatchProcess: Sendable {
    public let stdout: URL
    public let stderr: URL
    private let process: SpawnedProcess

    private init(stdout: URL, stderr: URL, process: SpawnedProcess) {
        self.stdout = stdout
        self.stderr = stderr
        self.process = process
    }

    /// Starts `uservault ARGUMENTS watch ...` in `directory` (`arguments` hold the command word).
    public static func start(_ arguments: [String], environment: [String: String] = [:], in directory: URL) throws -> WatchProcess {
        let name = UUID().uuidString.prefix(8)
        let out = directory.appendingPathComponent("watch-\(name).stdout")
        let err = directory.appendingPathComponent("watch-\(name).stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = SpawnedProcess()
        process.executableURL = userVaultBinary
        process.arguments = arguments
        process.environment = baseEnvironment(environment)
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return WatchProcess(stdout: out, stderr: err, process: process)
    }

    public var output: String { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" }
    public var errors: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
    public var lines: [String] { output.split(separator: "\n").map(String.init) }
    public var isRunning: Bool { process.isRunning }

    /// Waits until `condition` holds (polling every 20 ms, for `limit` at most), or the process ends.
    @discardableResult
    public func wait(for what: String, limit: Duration = .seconds(180), _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        if condition() { return true }
        throw LoopbackError(description: "watch: no \(what) (running: \(process.isRunning)); stderr: \(errors.suffix(1500)); stdout: \(output.suffix(500))")
    }

    /// SIGTERM (a clean stop), then the exit status.
    public func stop() async throws -> Int32 {
        process.terminate()
        try await wait(for: "exit after SIGTERM") { !process.isRunning }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL: no clean-up at all.
    public func kill9() async throws {
        kill(process.processIdentifier, SIGKILL)
        try await wait(for: "exit after SIGKILL") { !process.isRunning }
        process.waitUntilExit()
    }

    /// SIGKILL when still running: for a test's `defer`, whatever happened before.
    public func killIfRunning() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
