import AWSClients
import Foundation
import Testing

/// The posix_spawn child process that replaces Foundation.Process (whose `run()` can crash the
/// parent on Linux: swift-corelibs-foundation pull request 5472).
@Suite("SpawnedProcess")
struct SpawnedProcessTests {
    static func shell(_ script: String) -> SpawnedProcess {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardInput = nil
        process.standardError = nil
        return process
    }

    /// Runs `process` with its standard output on a pipe; returns what it wrote (read to EOF).
    static func output(of process: SpawnedProcess) throws -> String {
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("exit status, a signal, and the reason that tells them apart")
    func status() throws {
        let exits = Self.shell("exit 3")
        try exits.run()
        exits.waitUntilExit()
        #expect(!exits.isRunning)
        #expect(exits.terminationStatus == 3 && exits.terminationReason == .exit)

        let killed = Self.shell("kill -KILL $$")
        try killed.run()
        killed.waitUntilExit()
        #expect(killed.terminationStatus == SIGKILL && killed.terminationReason == .uncaughtSignal)
    }

    @Test("arguments, environment and working directory reach the child; output ends at its exit")
    func arguments() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Self.shell(#"printf '%s|%s|%s' "$1" "$GREETING" "$(pwd -P)""#)
        process.arguments += ["sh", "two words"]
        process.environment = ["GREETING": "hello", "PATH": "/usr/bin:/bin"]
        process.currentDirectoryURL = directory
        let resolved = try #require(realpath(directory.path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        })
        #expect(try Self.output(of: process) == "two words|hello|\(resolved)")
    }

    @Test("descriptors the parent left inheritable are closed in the child")
    func descriptorsClosed() throws {
        // Opened without O_CLOEXEC: a child would inherit it unless the spawn closes it.
        let descriptor = open("/dev/null", O_RDONLY)
        try #require(descriptor > 2)
        defer { close(descriptor) }
        let process = Self.shell("if [ -e /proc/self/fd/\(descriptor) ]; then echo open; else echo closed; fi")
        #expect(try Self.output(of: process) == "closed\n")
    }

    @Test("a missing executable or directory is an error, not a crash; terminate stops a running child")
    func failures() throws {
        let missing = SpawnedProcess()
        missing.executableURL = URL(fileURLWithPath: "/nonexistent/uservault-\(UUID().uuidString)")
        #expect(throws: SpawnError.self) { try missing.run() }

        let elsewhere = Self.shell("true")
        elsewhere.currentDirectoryURL = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")
        #expect(throws: SpawnError.self) { try elsewhere.run() }

        let sleeper = Self.shell("exec sleep 30")
        try sleeper.run()
        #expect(sleeper.isRunning && sleeper.processIdentifier > 0)
        sleeper.terminate()
        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == .uncaughtSignal && sleeper.terminationStatus == SIGTERM)
    }
}
