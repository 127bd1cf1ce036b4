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

/// A minimal environment, so the developer's own `USERVAULT_*` and `AWS_*` never leak into a
/// test (plus what ``childEnvironment(_:)`` adds).
func baseEnvironment(_ extra: [String: String]) -> [String: String] {
    var environment: [String: String] = [:]
    for name in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let value = ProcessInfo.processInfo.environment[name] { environment[name] = value }
    }
    return childEnvironment(environment.merging(extra) { $1 })
}

/// `environment` plus, for a child given an environment of its own, where its coverage goes
/// under `--enable-code-coverage` (``childCoverageEnvironment``) and the sanitizers' options of
/// this process (`TSAN_OPTIONS`, `ASAN_OPTIONS` or `USERVAULT_CHILD_ASAN_OPTIONS`, `LSAN_OPTIONS`,
/// `UBSAN_OPTIONS`, `SWIFT_BACKTRACE`): an
/// instrumented `uservault` (`make sanitize`) then logs its reports where the run collects them
/// instead of into the stderr a test reads.
public func childEnvironment(_ environment: [String: String]) -> [String: String] {
    var environment = environment.merging(childCoverageEnvironment) { $1 }
    let parent = ProcessInfo.processInfo.environment
    for name in ["TSAN_OPTIONS", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "SWIFT_BACKTRACE"] {
        if let value = parent[name] { environment[name] = value }
    }
    // The product's processes get their own AddressSanitizer options (leak checks on).
    if let options = parent["USERVAULT_CHILD_ASAN_OPTIONS"] { environment["ASAN_OPTIONS"] = options }
    return environment
}

/// Runs `uservault` to completion, in `directory` (a fresh temporary one by default), with
/// `standardInput` on its standard input (nothing by default).
public func runUserVault(_ arguments: [String], environment: [String: String] = [:],
                         in directory: URL? = nil, standardInput: Data? = nil) async throws -> CLIResult {
    let workDirectory = try directory ?? makeTemporaryDirectory("uservault-cli")
    let result = try await runChildProcess(userVaultBinary, arguments, environment: baseEnvironment(environment),
                                           in: workDirectory, standardInput: standardInput)
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
    for _ in 0..<600.scaledForTestRun where port == nil {
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
    for _ in 0..<400.scaledForTestRun where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return (result, process.terminationStatus, (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// What ``runUserVaultUntil(_:in:pattern:signal:)`` saw: how the process ended, its stderr, and
/// whether the signal came mid-run (the pattern matched while the process was still running).
public struct SignalledRun: Sendable {
    public var reason: Process.TerminationReason
    public var status: Int32
    public var stderr: String
    public var signalledMidRun: Bool
}

/// Runs `uservault` in `directory` until its stderr matches `pattern` (a regular expression; a
/// progress line), then sends `signal`; waits for the process to end (SIGKILL if it outlives
/// the signal by 30 s). Polls stderr every 50 ms, for 2 minutes at most (both times ``testTimeScale``): check
/// ``SignalledRun/signalledMidRun``.
/// With `environment`, the child gets only that (over the minimal base), as ``runUserVault(_:environment:in:)`` gives.
public func runUserVaultUntil(_ arguments: [String], environment: [String: String]? = nil, in directory: URL, pattern: String,
                              signal: Int32) async throws -> SignalledRun {
    let errors = directory.appendingPathComponent("run-\(UUID().uuidString).stderr")
    _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
    let process = SpawnedProcess()
    process.executableURL = userVaultBinary
    process.arguments = arguments
    process.environment = childEnvironment(ProcessInfo.processInfo.environment)
    process.currentDirectoryURL = directory
    if let environment { process.environment = baseEnvironment(environment) }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    var matched = false
    for _ in 0..<2400.scaledForTestRun where !matched && process.isRunning {
        try await Task.sleep(for: .milliseconds(50))
        let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        matched = text.range(of: pattern, options: .regularExpression) != nil
    }
    let midRun = matched && process.isRunning
    kill(process.processIdentifier, signal)
    for _ in 0..<600.scaledForTestRun where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return SignalledRun(reason: process.terminationReason, status: process.terminationStatus,
                        stderr: (try? String(contentsOf: errors, encoding: .utf8)) ?? "", signalledMidRun: midRun)
}

/// Runs `uservault` (no arguments) as a Lambda function (`_HANDLER=handler`, the embedded store
/// at `store`) on the Runtime API `standIn`, in `directory`, until `body` returns; then stops
/// it. Returns `body`'s result and the function's output (stdout and stderr).
public func withLambdaFunction<Result>(
    handler: String, store: String, standIn: LambdaRuntimeStandIn, in directory: URL,
    environment extra: [String: String] = [:], _ body: () async throws -> Result
) async throws -> (result: Result, stderr: String) {
    let errors = directory.appendingPathComponent("lambda-\(UUID().uuidString).stderr")
    _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
    let process = SpawnedProcess()
    process.executableURL = userVaultBinary
    process.arguments = []
    var environment = ["AWS_LAMBDA_RUNTIME_API": standIn.address, "_HANDLER": handler,
                       "USERVAULT_BACKEND": "local", "USERVAULT_STORE": store]
    for name in ["PATH", "HOME", "TMPDIR"] { environment[name] = ProcessInfo.processInfo.environment[name] }
    process.environment = childEnvironment(environment.merging(extra) { $1 })
    process.currentDirectoryURL = directory
    // One descriptor for both (one file offset), so that stdout lines do not overwrite stderr's.
    let output = try FileHandle(forWritingTo: errors)
    process.standardOutput = output
    process.standardError = output
    try process.run()
    defer {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
    let result = try await body()
    return (result, (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
}

/// The repository's root folder (this file is `Tests/TestSupport/CLIRunner.swift`).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
