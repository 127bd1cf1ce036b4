import AWSClients
import Foundation

/// What one run of the `uservault` binary did.
public struct CLIResult: Sendable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String
}

/// The `uservault` binary built beside the test bundle (or `USERVAULT_BIN`).
public let userVaultBinary: URL = {
    if let override = ProcessInfo.processInfo.environment["USERVAULT_BIN"] { return URL(fileURLWithPath: override) }
    let directory = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent()
    return directory.appendingPathComponent("uservault")
}()

/// A minimal environment, so the developer's own `USERVAULT_*` and `AWS_*` never leak into a test.
func baseEnvironment(_ extra: [String: String]) -> [String: String] {
    var environment: [String: String] = [:]
    for name in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let value = ProcessInfo.processInfo.environment[name] { environment[name] = value }
    }
    return environment.merging(extra) { $1 }
}

/// Runs `uservault` to completion, in `directory` (a fresh temporary one by default).
public func runUserVault(_ arguments: [String], environment: [String: String] = [:],
                         in directory: URL? = nil) async throws -> CLIResult {
    let workDirectory = try directory ?? makeTemporaryDirectory("uservault-cli")
    let result = try await runChildProcess(userVaultBinary, arguments, environment: baseEnvironment(environment),
                                           in: workDirectory)
    return CLIResult(exitCode: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
                     stderr: String(decoding: result.stderr, as: UTF8.self))
}

/// A running `uservault serve`: its process id, its port, and a client bound to it.
public struct ServedUserVault: Sendable {
    public var pid: Int32
    public var port: Int
    public var client: LoopbackClient
}

/// `uservault serve --port 0 ...` running as a real process until `body` returns; then
/// SIGTERM, and the process's exit code and stderr are returned with `body`'s result.
public func withServedUserVault<Result: Sendable>(
    _ arguments: [String], environment: [String: String] = [:], in directory: URL,
    _ body: (LoopbackClient) async throws -> Result
) async throws -> (result: Result, exitCode: Int32, stderr: String) {
    try await withServedUserVault(arguments, environment: environment, in: directory, fileDescriptorLimit: nil) { served in
        try await body(served.client)
    }
}

/// ``withServedUserVault(_:environment:in:_:)`` with the process id, and optionally under a
/// descriptor limit (`ulimit -n`, set by `/bin/sh` before it execs the binary, so the pid is
/// the server's).
public func withServedUserVault<Result: Sendable>(
    _ arguments: [String], environment: [String: String] = [:], in directory: URL, fileDescriptorLimit: Int?,
    _ body: (ServedUserVault) async throws -> Result
) async throws -> (result: Result, exitCode: Int32, stderr: String) {
    let outURL = directory.appendingPathComponent(".serve-stdout")
    let errURL = directory.appendingPathComponent(".serve-stderr")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = SpawnedProcess()
    let serve = ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments
    if let fileDescriptorLimit {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -n \(fileDescriptorLimit) && exec \"$0\" \"$@\"", userVaultBinary.path] + serve
    } else {
        process.executableURL = userVaultBinary
        process.arguments = serve
    }
    process.environment = baseEnvironment(environment)
    process.currentDirectoryURL = directory
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { process.terminate() } }
    // The first stdout line says where it listens.
    var port: Int?
    for _ in 0..<600 where port == nil {
        let text = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
            port = Int(text[range].split(separator: ":").last ?? "")
        } else if !process.isRunning {
            break
        } else {
            try await Task.sleep(for: .milliseconds(50))
        }
    }
    guard let port else {
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        throw LoopbackError(description: "uservault serve did not start: \(stderr.prefix(500))")
    }
    let client = LoopbackClient(port: port)
    let result = try await body(ServedUserVault(pid: process.processIdentifier, port: port, client: client))
    client.invalidate()
    process.terminate()  // SIGTERM: a clean stop
    for _ in 0..<400 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return (result, process.terminationStatus, (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}
