@testable import AWSClients
import AWSSigning
import Foundation
import Logging
import Synchronization
import TestSupport

/// A temporary directory with real files, removed afterwards.
struct TemporaryDirectory: Sendable {
    let url: URL
    var path: String { url.path }

    static func with<Result>(_ body: (TemporaryDirectory) async throws -> Result) async throws -> Result {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("uservault-credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(TemporaryDirectory(url: url))
    }

    /// Writes `text` at `relative` (creating directories); returns the full path.
    @discardableResult
    func write(_ relative: String, _ text: String, executable: Bool = false) throws -> String {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: file.path)
        }
        return file.path
    }

    /// `~/.aws/config` and `~/.aws/credentials` under this directory as the home.
    func writeAWSFiles(config: String? = nil, credentials: String? = nil) throws {
        if let config { try write(".aws/config", config) }
        if let credentials { try write(".aws/credentials", credentials) }
    }
}

/// An adjustable clock.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    var function: @Sendable () -> Date { { self.now } }
}

/// A provider that counts its calls and hands out numbered credentials expiring `lifetime`
/// seconds after the clock's now.
final class CountingCredentialProvider: CredentialProvider {
    private let calls = Mutex(0)
    private let failing = Mutex(false)
    let clock: TestClock
    let lifetime: TimeInterval?
    let delay: Duration

    init(clock: TestClock, lifetime: TimeInterval? = 3600, delay: Duration = .milliseconds(50)) {
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
    }

    var count: Int { calls.withLock { $0 } }

    func fail(_ value: Bool) { failing.withLock { $0 = value } }

    func credentials(logger: Logger) async throws -> AWSCredentials {
        let number = calls.withLock { value -> Int in
            value += 1
            return value
        }
        try await Task.sleep(for: delay)
        if failing.withLock({ $0 }) { throw CredentialError.invalid("counting", "asked to fail") }
        return AWSCredentials(accessKeyId: "AKID\(number)", secretAccessKey: "secret-\(number)", sessionToken: "token-\(number)",
                              expiration: lifetime.map { clock.now.addingTimeInterval($0) })
    }
}

let testLogger = Logger(label: "uservault.test.credentials", factory: { _ in SwiftLogNoOpLogHandler() })

/// Environment entries that keep a test away from any real metadata endpoint.
let noInstanceMetadata = ["AWS_EC2_METADATA_DISABLED": "true"]

/// Resolves the configuration for `environment` + `home`, then fetches credentials through the
/// factory's shared, cached chain.
func resolveCredentials(flags: AWSFlags = AWSFlags(), environment: [String: String], home: TemporaryDirectory,
                        transport: any HTTPTransport) async throws -> AWSCredentials {
    var environment = environment
    if environment["AWS_REGION"] == nil { environment["AWS_REGION"] = "us-east-1" }
    let configuration = try AWSConfiguration.resolve(flags: flags, environment: environment, homeDirectory: home.path)
    let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: testLogger)
    return try await factory.credentials.credentials(logger: testLogger)
}

let fixedExpiration = Date(timeIntervalSince1970: 2_000_000_000)
