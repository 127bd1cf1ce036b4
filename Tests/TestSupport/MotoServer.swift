import AWSClients
import AWSSigning
import Foundation
import Logging
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `moto_server` (PyPI `moto[server]`) on a free loopback port: the AWS-compatible
/// DynamoDB/KMS/S3/STS endpoint of the tests.
///
/// ```swift
/// try await withMotoServer { moto in
///     // moto.endpoint is http://127.0.0.1:<port>
/// }
/// ```
/// The server is started by the test support code and stopped by its PID (SIGTERM, then
/// SIGKILL). `supervise.py` stops it when the test process is gone, so a crashed test run never
/// leaves one behind. Its output goes to a log file, never to the test's pipes.
public final class MotoServer: Sendable {
    public let port: Int
    public let endpoint: String
    public let logFile: URL
    let process: SpawnedProcess

    /// Moto's fixed account.
    public static let accountId = "123456789012"
    public static let region = "us-east-1"

    /// Environment for a `uservault` child process or boto3 script aimed at this server.
    public var environment: [String: String] {
        [
            "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": Self.region, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true",
            // moto's TransactWriteItems copies the table without a lock: concurrent transactions
            // sometimes answer 500. They are transient; give the standard retry mode room.
            "AWS_MAX_ATTEMPTS": "8",
        ]
    }

    init(port: Int, process: SpawnedProcess, logFile: URL) {
        self.port = port
        self.endpoint = "http://127.0.0.1:\(port)"
        self.process = process
        self.logFile = logFile
    }

    /// Starts moto on a free port outside the kernel's ephemeral range (32768–60999), so that
    /// servers that bind port 0 in parallel tests can never take it between our check and
    /// moto's bind; a collision among moto servers themselves is retried on another port.
    public static func start() async throws -> MotoServer {
        var lastError: (any Error)?
        for _ in 0..<5 {
            do {
                return try await start(port: try freeLoopbackPort(in: 20_000..<30_000))
            } catch let error as LoopbackError where error.description.contains("in use") {
                lastError = error
            }
        }
        throw lastError ?? LoopbackError(description: "no free port for moto_server")
    }

    static func start(port: Int) async throws -> MotoServer {
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(port).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // supervise.py unblocks signals (the test process blocks SIGTERM) and stops moto when the
        // test process is gone.
        process.arguments = ["python3", supervisorScript.path, "python3", "-m", "moto.server",
                             "-H", "127.0.0.1", "-p", "\(port)"]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let server = MotoServer(port: port, process: process, logFile: logFile)
        for _ in 0..<300 {
            // Our server is the one answering only once it says it bound the port: another moto
            // that took the port first would answer too (and this one would then exit, in use).
            if server.saysItIsRunning(), await server.isReady() { return server }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let output = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        await server.stop()
        throw LoopbackError(description: "moto_server did not start on port \(port): \(output.suffix(500))")
    }

    /// Whether the log has werkzeug's line for a successful bind of this server's port.
    func saysItIsRunning() -> Bool {
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return log.contains("Running on \(endpoint)")
    }

    func isReady() async -> Bool {
        guard let url = URL(string: "\(endpoint)/moto-api/data.json") else { return false }
        var request = URLRequest(url: url)
        request.timeoutInterval = 1
        return await withCheckedContinuation { continuation in
            URLSession.shared.dataTask(with: request) { _, response, _ in
                continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode == 200)
            }.resume()
        }
    }

    /// SIGTERM, then wait for the PID (up to 30 s, without blocking a thread), then SIGKILL.
    public func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<600 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: logFile)
    }
}

/// Runs `body` with a fresh moto server, always stopping it afterwards.
public func withMotoServer<Result>(_ body: (MotoServer) async throws -> Result) async throws -> Result {
    let moto = try await MotoServer.start()
    do {
        let result = try await body(moto)
        await moto.stop()
        return result
    } catch {
        await moto.stop()
        throw error
    }
}

/// A TCP port that was free on 127.0.0.1 a moment ago: the kernel's pick (port 0), or a
/// random one from `range`.
public func freeLoopbackPort(in range: Range<Int>? = nil) throws -> Int {
    for _ in 0..<50 {
        let candidate = range.map { Int.random(in: $0) } ?? 0
        if let port = try bindLoopback(port: candidate) { return port }
    }
    throw LoopbackError(description: "no free loopback port found")
}

/// Binds `port` on 127.0.0.1 and releases it: the bound port, or `nil` when it is taken.
private func bindLoopback(port: Int) throws -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LoopbackError(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { return nil }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw LoopbackError(description: "getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// `Tests/TestSupport/supervise.py`: runs a helper server tied to the test process's life.
public let supervisorScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("supervise.py")

extension MotoServer {
    /// An S3 client on this server (moto's test credentials), over `transport`.
    public func s3Client(_ transport: any HTTPTransport) -> S3Client {
        S3Client(AWSServiceClient(
            service: .s3, endpoint: URL(string: endpoint)!, region: Self.region,
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing")),
            transport: transport, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
    }
}
