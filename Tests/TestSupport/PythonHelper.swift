import AWSClients
import Foundation

/// A helper server of the tests written in Python (a script beside this file), run under
/// `supervise.py` so that it never outlives the test process: it writes its port to a file once
/// it listens; ``stop()`` sends SIGTERM, waits for the PID (without blocking a thread), then
/// SIGKILL, and removes its folder.
///
/// ```swift
/// let helper = try await PythonHelper.start("dying_proxy.py", label: "proxy") { portFile, _ in [portFile.path, "9000", "10"] }
/// defer { Task { await helper.stop() } }
/// ```
public final class PythonHelper: Sendable {
    public let port: Int
    /// The helper's own folder (its port file, its log, whatever it records).
    public let directory: URL
    private let process: SpawnedProcess

    private init(port: Int, directory: URL, process: SpawnedProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// `http://127.0.0.1:<port>`
    public var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Whether the helper process is still running.
    public var isRunning: Bool { process.isRunning }

    /// Starts `python3 <script> ARGUMENTS`, the arguments made from its port file and folder.
    public static func start(_ script: String, label: String, environment extra: [String: String] = [:],
                             arguments: (_ portFile: URL, _ directory: URL) -> [String]) async throws -> PythonHelper {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let portFile = directory.appendingPathComponent("port")
        let logFile = directory.appendingPathComponent("server.log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw LoopbackError(description: "cannot create \(logFile.path)")
        }
        let log = try FileHandle(forWritingTo: logFile)
        defer { try? log.close() }
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(script)
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // supervise.py unblocks signals (the test process blocks SIGTERM) and stops the helper
        // when the test process is gone.
        process.arguments = ["python3", supervisorScript.path, "python3", path.path] + arguments(portFile, directory)
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) {
                return PythonHelper(port: port, directory: directory, process: process)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let output = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        await PythonHelper(port: 0, directory: directory, process: process).stop()
        throw LoopbackError(description: "\(script) did not start: \(output.suffix(500))")
    }

    /// SIGTERM, wait for the PID (without blocking a thread), SIGKILL after 10 s; then its folder goes.
    public func stop() async {
        if process.isRunning {
            process.terminate()
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
