import AWSClients
import Foundation
import Testing
import TestSupport

/// The binary as a Lambda function that cannot start: the error goes to the Runtime API's
/// `/runtime/init/error` before the process exits.
@Suite("uservault on Lambda: init errors")
struct LambdaInitTests {
    /// Runs the function until it exits, or until `limit` (a bound for a failing test that never
    /// exits): its exit code, `nil` if it was still running, and its stderr.
    static func runFunction(environment: [String: String], in directory: URL,
                            limit: Duration = .seconds(60)) async throws -> (exitCode: Int32?, stderr: String) {
        let errors = directory.appendingPathComponent("function.stderr")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = SpawnedProcess()
        process.executableURL = userVaultBinary
        process.arguments = []
        process.environment = childEnvironment(environment)
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: errors)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let exited = !process.isRunning
        if !exited {
            process.terminate()
            process.waitUntilExit()
        }
        return (exited ? process.terminationStatus : nil, (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
    }

    @Test("no region (AWS backend, Lambda's default): init/error with its type and message, then a non-zero exit",
          arguments: ["api", "job"])
    func noRegion(handler: String) async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-no-region")
        defer { try? FileManager.default.removeItem(at: directory) }
        let standIn = try await LambdaRuntimeStandIn.start()
        let secret = "wJalrXUtnFEMI-not-a-real-secret-0123456789"
        let environment = [
            "AWS_LAMBDA_RUNTIME_API": standIn.address, "_HANDLER": handler,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory.path,
            "AWS_CONFIG_FILE": directory.appendingPathComponent("no-config").path,
            "AWS_SHARED_CREDENTIALS_FILE": directory.appendingPathComponent("no-credentials").path,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": secret,
        ]
        let (exitCode, stderr) = try await Self.runFunction(environment: environment, in: directory)
        await standIn.stop()
        #expect(exitCode != nil && exitCode != 0, "the function exits, non-zero: \(String(describing: exitCode)) \(stderr)")
        #expect(standIn.initErrors.count == 1, "one init error posted: \(standIn.initErrors.map(\.type))")
        let posted = try #require(standIn.initError)
        let body = try #require(try JSONSerialization.jsonObject(with: posted.body) as? [String: Any])
        #expect(body["errorType"] as? String == posted.type, "the header and the body agree: \(body)")
        #expect(posted.type.hasPrefix("Runtime."), "\(posted.type)")
        let message = try #require(body["errorMessage"] as? String)
        #expect(message.lowercased().contains("region"), "\(message)")
        #expect(!String(decoding: posted.body, as: UTF8.self).contains(secret) && !stderr.contains(secret), "no secret")
    }
}
