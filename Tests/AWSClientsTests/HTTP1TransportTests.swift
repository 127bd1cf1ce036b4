import AWSClients
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Testing
import TestSupport

/// The transport against a keep-alive loopback server that counts its connections: reuse, the
/// per-origin limit, answers too large, headers refused, cancellation, TLS with a CA bundle.
@Suite("HTTP/1.1 transport")
struct HTTP1TransportTests {
    static func get(_ server: KeepAliveServer, _ path: String, scheme: String = "http",
                    headers: [(name: String, value: String)] = []) -> HTTPExchange {
        HTTPExchange(method: "GET", url: URL(string: "\(scheme)://127.0.0.1:\(server.port)\(path)")!,
                     headers: [(name: "Host", value: "127.0.0.1:\(server.port)")] + headers, body: Data())
    }

    @Test("keep-alive: sequential requests share one connection, and each gets its own answer")
    func reuse() async throws {
        try await KeepAliveServer.with { server in
            try await HTTP1Transport.withTransport { transport in
                for index in 0..<20 {
                    let reply = try await transport.send(Self.get(server, "/echo/\(index)"), timeout: .seconds(30))
                    #expect(reply.status == 200)
                    #expect(String(decoding: reply.body, as: UTF8.self) == "/echo/\(index)")
                }
            }
            #expect(server.connections == 1)
            #expect(server.requests == 20)
        }
    }

    @Test("at most connectionsPerHost connections; the requests beyond wait their turn and all succeed")
    func limit() async throws {
        try await KeepAliveServer.with { server in
            try await HTTP1Transport.withTransport(configuration: .init(connectionsPerHost: 3)) { transport in
                let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<40 {
                        group.addTask {
                            String(decoding: try await transport.send(Self.get(server, "/echo/\(index)"), timeout: .seconds(30)).body,
                                   as: UTF8.self)
                        }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(bodies == Set((0..<40).map { "/echo/\($0)" }))
            }
            #expect(server.connections <= 3)
            #expect(server.maxOpenAtOnce <= 3)
        }
    }

    @Test("one connection handed from request to request under contention: 400 requests from 8 tasks all answered")
    func handOff() async throws {
        try await KeepAliveServer.with { server in
            try await HTTP1Transport.withTransport(configuration: .init(connectionsPerHost: 1)) { transport in
                let answered = try await withThrowingTaskGroup(of: Int.self) { group in
                    for task in 0..<8 {
                        group.addTask {
                            var count = 0
                            for index in 0..<50 {
                                let path = "/echo/\(task)-\(index)"
                                let reply = try await transport.send(Self.get(server, path), timeout: .seconds(60))
                                if String(decoding: reply.body, as: UTF8.self) == path { count += 1 }
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(answered == 400)
            }
            #expect(server.connections == 1)
        }
    }

    @Test("Connection: close from the server: the next request opens a new connection")
    func serverCloses() async throws {
        try await KeepAliveServer.with { server in
            try await HTTP1Transport.withTransport { transport in
                for _ in 0..<3 {
                    let reply = try await transport.send(Self.get(server, "/close"), timeout: .seconds(30))
                    #expect(reply.status == 200)
                }
            }
            #expect(server.connections == 3)
        }
    }

    @Test("an answer over maxResponseBytes fails, its connection is dropped, the next request succeeds")
    func tooLarge() async throws {
        try await KeepAliveServer.with { server in
            try await HTTP1Transport.withTransport(configuration: .init(maxResponseBytes: 1000)) { transport in
                let failure = await #expect(throws: TransportFailure.self) {
                    try await transport.send(Self.get(server, "/size/5000"), timeout: .seconds(30))
                }
                #expect(failure?.description == "an answer larger than 1000 bytes")
                let next = try await transport.send(Self.get(server, "/size/1000"), timeout: .seconds(30))
                #expect(next.body.count == 1000)
            }
            #expect(server.connections == 2)
        }
    }

    @Test("a header value with CR LF is refused before anything is sent, and not as a network failure")
    func headerInjection() async throws {
        try await KeepAliveServer.with { server in
            try await HTTP1Transport.withTransport { transport in
                let refused = await #expect(throws: UnsendableHeader.self) {
                    try await transport.send(Self.get(server, "/echo", headers: [(name: "X-Amz-Security-Token",
                                                                                 value: "token\r\nX-Injected: 1")]),
                                             timeout: .seconds(30))
                }
                #expect(refused?.name == "X-Amz-Security-Token")
                #expect(refused?.description.contains("token") == false)
                for (name, value) in [("X-Bad:Name", "v"), ("", "v"), ("X-Del", "a\u{7F}b"), ("X-Nul", "a\u{0}b")] {
                    await #expect(throws: UnsendableHeader.self, "\(name.debugDescription): \(value.debugDescription)") {
                        try await transport.send(Self.get(server, "/echo", headers: [(name: name, value: value)]), timeout: .seconds(30))
                    }
                }
            }
            #expect(server.requests == 0)
            try await HTTP1Transport.withTransport { transport in
                // A tab is allowed in a value (RFC 9110), and non-ASCII text is sent as UTF-8.
                let reply = try await transport.send(Self.get(server, "/echo", headers: [(name: "X-Tab", value: "a\tb é")]),
                                                     timeout: .seconds(30))
                #expect(reply.status == 200)
            }
            #expect(server.requests == 1)
        }
    }

    @Test("the per-request timeout ends a request the server never answers, as a timeout")
    func timeout() async throws {
        try await KeepAliveServer.with { server in
            try await HTTP1Transport.withTransport { transport in
                let failure = await #expect(throws: TransportFailure.self) {
                    try await transport.send(Self.get(server, "/never"), timeout: .milliseconds(300))
                }
                #expect(failure?.isTimeout == true)
                let next = try await transport.send(Self.get(server, "/echo"), timeout: .seconds(30))
                #expect(next.status == 200)
            }
        }
    }

    @Test("one timer per connection: a request after a longer or a shorter one still times out at its own deadline",
          arguments: [(Duration.seconds(600), Duration.milliseconds(300)), (.seconds(3), .seconds(5))])
    // The shorter first timeout is 3 s, not less: the echo must be answered within it, and on a
    // machine busy with other work a loopback answer took more than 300 ms.
    func timerReuse(first: Duration, second: Duration) async throws {
        try await KeepAliveServer.with { server in
            try await HTTP1Transport.withTransport { transport in
                let answered = try await transport.send(Self.get(server, "/echo"), timeout: first)
                #expect(answered.status == 200)
                let failure = await #expect(throws: TransportFailure.self) {
                    try await transport.send(Self.get(server, "/never"), timeout: second)
                }
                #expect(failure?.isTimeout == true)
                #expect(failure?.description == "no complete answer within \(second == .milliseconds(300) ? "300 ms" : "5 s")")
            }
            #expect(server.connections == 1)
        }
    }

    @Test("cancelling a request in flight ends it with CancellationError and closes its connection")
    func cancellation() async throws {
        try await KeepAliveServer.with { server in
            try await HTTP1Transport.withTransport { transport in
                let request = Task { try await transport.send(Self.get(server, "/never"), timeout: .seconds(600)) }
                while server.requests == 0 { await Task.yield() }
                request.cancel()
                await #expect(throws: CancellationError.self) { try await request.value }
                while server.open > 0 { await Task.yield() }
            }
        }
    }

    @Test("https: the server's certificate is trusted through the CA bundle, refused without it")
    func tls() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bundle = directory.appendingPathComponent("ca.pem")
        try Data(KeepAliveServer.testCertificate.utf8).write(to: bundle)
        try await KeepAliveServer.with(tls: true) { server in
            try await HTTP1Transport.withTransport(configuration: .init(caBundle: bundle.path)) { transport in
                for index in 0..<3 {
                    let reply = try await transport.send(Self.get(server, "/echo/\(index)", scheme: "https"), timeout: .seconds(30))
                    #expect(String(decoding: reply.body, as: UTF8.self) == "/echo/\(index)")
                }
            }
            #expect(server.connections == 1)
            try await HTTP1Transport.withTransport { transport in
                await #expect(throws: TransportFailure.self) {
                    try await transport.send(Self.get(server, "/echo", scheme: "https"), timeout: .seconds(30))
                }
            }
            #expect(server.requests == 3)
        }
    }

    @Test("after shutdown a request fails at once and opens no connection")
    func afterShutdown() async throws {
        try await KeepAliveServer.with { server in
            let transport = try HTTP1Transport()
            let reply = try await transport.send(Self.get(server, "/echo"), timeout: .seconds(30))
            #expect(reply.status == 200)
            try await transport.shutdown()
            let failure = await #expect(throws: TransportFailure.self) {
                try await transport.send(Self.get(server, "/echo"), timeout: .seconds(30))
            }
            #expect(failure?.description == "the HTTP transport is shut down")
            #expect(server.connections == 1)
            #expect(server.requests == 1)
        }
    }

    @Test("an unreadable CA bundle is an error at start, naming the file")
    func badBundle() {
        let error = #expect(throws: TransportFailure.self) {
            _ = try HTTP1Transport(configuration: .init(caBundle: "/nonexistent/ca.pem"))
        }
        #expect(error?.description.contains("/nonexistent/ca.pem") == true)
    }
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 (optionally TLS with a test certificate):
/// `/echo...` answers the path, `/size/N` N bytes, `/close` with `Connection: close`, `/never`
/// not at all. It counts connections as they open and requests as they arrive.
final class KeepAliveServer: Sendable {
    private struct Counts { var connections = 0, open = 0, maxOpen = 0, requests = 0 }
    let port: Int
    private let channel: any Channel
    private let tracker: ConnectionTracker

    var connections: Int { tracker.counts.withLock { $0.connections } }
    var open: Int { tracker.counts.withLock { $0.open } }
    var maxOpenAtOnce: Int { tracker.counts.withLock { $0.maxOpen } }
    var requests: Int { tracker.counts.withLock { $0.requests } }

    private init(port: Int, channel: any Channel, tracker: ConnectionTracker) {
        self.port = port
        self.channel = channel
        self.tracker = tracker
    }

    static func with(tls: Bool = false, _ body: (KeepAliveServer) async throws -> Void) async throws {
        let server = try await start(tls: tls)
        do {
            try await body(server)
        } catch {
            try? await server.channel.close()
            throw error
        }
        try? await server.channel.close()
    }

    private static func start(tls: Bool) async throws -> KeepAliveServer {
        let context = tls ? try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(testCertificate.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(testKey.utf8), format: .pem)))) : nil
        let tracker = ConnectionTracker()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    tracker.opened()
                    channel.closeFuture.whenComplete { _ in tracker.closed() }
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(tracker: tracker))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return KeepAliveServer(port: channel.localAddress!.port!, channel: channel, tracker: tracker)
    }

    private final class ConnectionTracker: Sendable {
        let counts = Mutex(Counts())
        func opened() {
            counts.withLock {
                $0.connections += 1
                $0.open += 1
                $0.maxOpen = max($0.maxOpen, $0.open)
            }
        }
        func closed() { counts.withLock { $0.open -= 1 } }
        func request() { counts.withLock { $0.requests += 1 } }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let tracker: ConnectionTracker
        var uri = ""
        init(tracker: ConnectionTracker) { self.tracker = tracker }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                uri = head.uri
                tracker.request()
            case .body:
                break
            case .end:
                if uri == "/never" { return }
                let body: ByteBuffer
                if uri.hasPrefix("/size/"), let size = Int(uri.dropFirst(6)) {
                    body = ByteBuffer(repeating: UInt8(ascii: "x"), count: size)
                } else {
                    body = ByteBuffer(string: uri)
                }
                var headers: HTTPHeaders = ["Content-Length": "\(body.readableBytes)"]
                if uri == "/close" { headers.add(name: "Connection", value: "close") }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    /// A self-signed certificate for 127.0.0.1 and localhost, valid until 2126, made for these
    /// tests only (`openssl req -x509 -newkey ec`); its key below protects nothing else.
    static let testCertificate = """
-----BEGIN CERTIFICATE-----
MIIBszCCAVqgAwIBAgIUHd3PlMgd9nmuLCiFDk789ccPXbswCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXVXNlclZhdWx0IHRlc3QgbG9vcGJhY2swIBcNMjYxMjA0MTg0
MTQzWhgPMjEyNjExMTAxODQxNDNaMCIxIDAeBgNVBAMMF1VzZXJWYXVsdCB0ZXN0
IGxvb3BiYWNrMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwlErQpwXlM0t7tiG
8cnsghly/a/dIvRYO7a6uuPF8gvDgKNIxBPFfw0HoFyphitsXgBQI8tIkmzEYGjk
jxTIEaNsMGowHQYDVR0OBBYEFDcS9Dvm6dphT+Ig3oGDtPETP6FfMB8GA1UdIwQY
MBaAFDcS9Dvm6dphT+Ig3oGDtPETP6FfMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2Fs
aG9zdDAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMCA0cAMEQCIDtuu/lstACG9rpo
GxJz4Dc8BG109k1ME8KYUPqW71AWAiAf7O+31EsiImSSOT5mUOsp5uZ5d6PkxGjY
SZBF1eMUDA==
-----END CERTIFICATE-----
"""

    static let testKey = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8iTDR0gbpML+Qq+s
IgVwv67Q8WT0SGruejAOsk5GnkqhRANCAATCUStCnBeUzS3u2IbxyeyCGXL9r90i
9Fg7trq648XyC8OAo0jEE8V/DQegXKmGK2xeAFAjy0iSbMRgaOSPFMgR
-----END PRIVATE KEY-----
"""
}
