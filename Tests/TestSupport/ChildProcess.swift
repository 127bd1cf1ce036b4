import AWSClients
import Foundation

/// What a finished child process left behind.
public struct ChildProcessResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
}

/// Runs a child process to completion without blocking a Swift concurrency thread (blocking
/// waits starve the in-process loopback servers of the other tests on a 2-core machine).
/// Output goes to temporary files, so a chatty child can never fill a pipe and hang.
/// - Parameter standardInput: what the child reads on standard input (from a file); nothing
///   (`/dev/null`) by default.
public func runChildProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                            in directory: URL? = nil, standardInput: Data? = nil) async throws -> ChildProcessResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout")
    let errURL = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    defer {
        try? out.close()
        try? err.close()
    }
    let process = SpawnedProcess()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = directory }
    process.standardOutput = out
    process.standardError = err
    if let standardInput {
        let inURL = scratch.appendingPathComponent("stdin")
        guard FileManager.default.createFile(atPath: inURL.path, contents: standardInput, attributes: [.posixPermissions: 0o600]) else {
            throw LoopbackError(description: "cannot write the child's standard input")
        }
        process.standardInput = try FileHandle(forReadingFrom: inURL)
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    return ChildProcessResult(status: process.terminationStatus,
                              stdout: (try? Data(contentsOf: outURL)) ?? Data(),
                              stderr: (try? Data(contentsOf: errURL)) ?? Data())
}
