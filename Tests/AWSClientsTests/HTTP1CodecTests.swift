@testable import AWSClients
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The transport's own HTTP/1.1 framing (RFC 9112): answers parsed whole and byte by byte, every
/// way a body can be framed, the answers that must be refused, the request's exact bytes; then
/// the same answers through ``HTTP1Transport`` from a server that writes raw bytes.
@Suite("HTTP/1.1 codec")
struct HTTP1CodecTests {
    /// Parses `raw` delivered in pieces of `piece` bytes (0: all at once); then, if the answer
    /// is not complete, as the server closing the connection would end it.
    static func parse(_ raw: String, piece: Int = 0, isHead: Bool = false, maxBody: Int = 1 << 20,
                      closeAtEnd: Bool = false) throws -> (answer: HTTP1AnswerParser.Answer?, rest: Int) {
        var parser = HTTP1AnswerParser(isHead: isHead, maxBodyBytes: maxBody, allocator: ByteBufferAllocator())
        let bytes = Array(raw.utf8)
        var input = ByteBuffer()
        var offset = 0
        repeat {
            let end = piece == 0 ? bytes.count : min(bytes.count, offset + piece)
            input.writeBytes(bytes[offset..<end])
            offset = end
            if let answer = try parser.parse(&input) { return (answer, input.readableBytes) }
        } while offset < bytes.count
        return (closeAtEnd ? parser.close() : nil, input.readableBytes)
    }

    static func body(_ answer: HTTP1AnswerParser.Answer?) -> String? {
        answer.map { String(buffer: $0.body) }
    }

    @Test("framed answers: the same status, headers, body and reuse whether they come whole or byte by byte",
          arguments: [0, 1, 7])
    func framing(piece: Int) throws {
        let length = try Self.parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", piece: piece)
        #expect(length.answer?.status == 200)
        #expect(Self.body(length.answer) == "hello")
        #expect(length.answer?.reusable == true)
        #expect(length.answer?.headers.first?.name == "Content-Type")
        #expect(length.answer?.headers.first?.value == "text/plain")

        let chunked = try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: yes\r\n\r\n", piece: piece)
        #expect(Self.body(chunked.answer) == "hello, chunked!")
        #expect(chunked.answer?.reusable == true)

        let interim = try Self.parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
            + "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", piece: piece)
        #expect(interim.answer?.status == 201)
        #expect(Self.body(interim.answer) == "ok")
        #expect(interim.answer?.headers.map(\.name) == ["Content-Length"])

        // Bare line feeds, which RFC 9112 lets a recipient accept, and white space around a value.
        let bare = try Self.parse("HTTP/1.1 200 OK\nContent-Length:  3 \n\nabc", piece: piece)
        #expect(Self.body(bare.answer) == "abc")
        #expect(bare.answer?.headers.first?.value == "3")
    }

    @Test("no body for an answer to HEAD or with status 204 or 304, whatever its length says; what follows stays unread")
    func noBody() throws {
        let head = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", isHead: true)
        #expect(head.answer?.status == 200)
        #expect(head.answer?.body.readableBytes == 0)
        #expect(head.answer?.headers.first?.value == "1000")
        for status in ["204 No Content", "304 Not Modified"] {
            let parsed = try Self.parse("HTTP/1.1 \(status)\r\nContent-Length: 7\r\n\r\nextra")
            #expect(parsed.answer?.body.readableBytes == 0)
            #expect(parsed.rest == 5, "the bytes after a bodiless answer are left for the handler to refuse")
        }
    }

    @Test("a body without a length runs until the close, and its connection is not reused")
    func untilClose() throws {
        let open = try Self.parse("HTTP/1.1 200 OK\r\n\r\nall of it", piece: 3)
        #expect(open.answer == nil, "not complete while the connection is open")
        let closed = try Self.parse("HTTP/1.1 200 OK\r\n\r\nall of it", piece: 3, closeAtEnd: true)
        #expect(Self.body(closed.answer) == "all of it")
        #expect(closed.answer?.reusable == false)
        // A coding other than chunked last is framed the same way.
        let gzip = try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", closeAtEnd: true)
        #expect(Self.body(gzip.answer) == "zz")
        #expect(gzip.answer?.reusable == false)
        // A truncated framed answer is not completed by the close.
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", closeAtEnd: true).answer == nil)
    }

    @Test("reuse: Connection: close ends it; HTTP/1.0 only with keep-alive; a coding beside a length never")
    func reuse() throws {
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n").answer?.reusable == false)
        #expect(try Self.parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").answer?.reusable == false)
        #expect(try Self.parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").answer?.reusable == true)
        let both = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
        #expect(Self.body(both.answer) == "ok", "the coding, not the length, frames the body")
        #expect(both.answer?.reusable == false)
        // The same length twice is one length.
        #expect(Self.body(try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok").answer) == "ok")
    }

    @Test("malformed answers are refused, never guessed at", arguments: [
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
    ])
    func malformed(raw: String) {
        #expect(throws: HTTP1Codec.Malformed.self) { try Self.parse(raw) }
        #expect(throws: HTTP1Codec.Malformed.self) { try Self.parse(raw, piece: 1) }
    }

    @Test("limits: a body over the limit, by length or by chunks, and a head that never ends")
    func limits() {
        #expect(throws: HTTP1Codec.Malformed.self) { try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", maxBody: 10) }
        #expect(throws: HTTP1Codec.Malformed.self) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n123456\r\n6\r\n123456\r\n0\r\n\r\n", maxBody: 10)
        }
        #expect(throws: HTTP1Codec.Malformed.self) {
            try Self.parse("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 11), piece: 4, maxBody: 10)
        }
        let endless = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 4_000)
        #expect(throws: HTTP1Codec.Malformed.self) { try Self.parse(endless, piece: 1_000) }
    }

    @Test("a request is one buffer: request line, the caller's headers, its own Content-Length, the body")
    func request() throws {
        let post = try HTTP1Codec.request(
            method: "POST", target: "/?a=b", headers: [(name: "Host", value: "kms"), (name: "content-length", value: "999")],
            body: Data("{}".utf8), allocator: ByteBufferAllocator())
        #expect(String(buffer: post) == "POST /?a=b HTTP/1.1\r\nHost: kms\r\nContent-Length: 2\r\n\r\n{}")
        let get = try HTTP1Codec.request(method: "GET", target: "/x", headers: [(name: "Host", value: "s3")], body: nil,
                                         allocator: ByteBufferAllocator())
        #expect(String(buffer: get) == "GET /x HTTP/1.1\r\nHost: s3\r\n\r\n")
        #expect(throws: UnsendableHeader.self) {
            try HTTP1Codec.request(method: "GET", target: "/", headers: [(name: "X-Bad", value: "a\r\nInjected: 1")], body: nil,
                                   allocator: ByteBufferAllocator())
        }
    }

    // MARK: Through the transport

    @Test("through the transport: chunked, until-close and HEAD answers arrive whole; a malformed one fails and its connection is dropped")
    func transport() async throws {
        let answers = [
            "/chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n",
            "/until-close": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end",
            "/head": "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n",
            "/interim": "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            "/malformed": "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        ]
        try await RawAnswerServer.with(answers) { server in
            try await HTTP1Transport.withTransport { transport in
                func send(_ path: String, method: String = "GET") async throws -> HTTPReply {
                    try await transport.send(HTTPExchange(method: method, url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!,
                                                          headers: [(name: "Host", value: "127.0.0.1")], body: Data()),
                                             timeout: .seconds(30))
                }
                let chunked = try await send("/chunked")
                #expect(String(decoding: chunked.body, as: UTF8.self) == "abcdef")
                let untilClose = try await send("/until-close")
                #expect(String(decoding: untilClose.body, as: UTF8.self) == "to the end")
                #expect(untilClose.header("content-type") == "text/plain")
                let head = try await send("/head", method: "HEAD")
                #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "1234")
                let interim = try await send("/interim")
                #expect(interim.status == 200 && String(decoding: interim.body, as: UTF8.self) == "ok")
                let connectionsBefore = server.connections
                let failure = await #expect(throws: TransportFailure.self) { try await send("/malformed") }
                #expect(failure?.description == "a malformed HTTP/1.1 answer: expected one Content-Length")
                #expect(failure?.isTimeout == false)
                // The chunked, HEAD and interim answers kept their connection; the others did not.
                _ = try await send("/chunked")
                #expect(server.connections == connectionsBefore + 1, "the malformed answer's connection is not reused")
            }
        }
    }
}

/// A loopback server that answers each request with raw bytes chosen by its path, and closes
/// the connection after an answer that is framed by the close. It counts connections.
final class RawAnswerServer: Sendable {
    let port: Int
    private let opened: Mutex<Int>
    var connections: Int { opened.withLock { $0 } }

    private init(port: Int) {
        self.port = port
        opened = Mutex(0)
    }

    static func with(_ answers: [String: String], _ body: (RawAnswerServer) async throws -> Void) async throws {
        let box = ServerBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                box.server.withLock { $0?.opened.withLock { $0 += 1 } }
                return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(answers: answers)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = RawAnswerServer(port: channel.localAddress!.port!)
        box.server.withLock { $0 = server }
        do {
            try await body(server)
        } catch {
            try? await channel.close()
            throw error
        }
        try? await channel.close()
    }

    /// The server as the connection initializer sees it (it exists only once bound).
    private final class ServerBox: Sendable {
        let server = Mutex<RawAnswerServer?>(nil)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answers: [String: String]
        var received = ""
        init(answers: [String: String]) { self.answers = answers }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            while let end = received.range(of: "\r\n\r\n") {
                let head = received[..<end.lowerBound]
                received = String(received[end.upperBound...])
                let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                let answer = answers[path] ?? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
                if path == "/until-close" || path == "/malformed" {
                    context.close(promise: nil)
                    return
                }
            }
        }
    }
}
