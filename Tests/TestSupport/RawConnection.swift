import Foundation

/// One TCP connection to `127.0.0.1:port` over a plain POSIX socket, for what an HTTP client
/// library hides: connections that stay idle, headers that never finish, the server's EOF.
/// Non-blocking: no call here ever blocks a Swift concurrency thread.
///
/// ```swift
/// let connection = try RawConnection(port: port)
/// try connection.send("GET /users HTTP/1.1\r\nHost: x\r\n")   // and never the blank line
/// #expect(await connection.waitUntilClosed(within: .seconds(30)))
/// ```
public final class RawConnection: @unchecked Sendable {
    /// The socket; -1 once closed.
    public private(set) var descriptor: Int32

    /// Starts connecting (the kernel completes it, or queues it in the server's backlog).
    public init(port: Int) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw LoopbackError(description: "socket: errno \(errno)") }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 || errno == EINPROGRESS else {
            let code = errno
            Glibc.close(descriptor)
            throw LoopbackError(description: "connect: errno \(code)")
        }
        self.descriptor = descriptor
    }

    deinit { close() }

    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Writes `text` once the connection is established (waits up to `within` for that).
    public func send(_ text: String, within limit: Duration = .seconds(30)) async throws {
        let bytes = Array(text.utf8)
        var sent = 0
        let deadline = ContinuousClock.now + limit
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                sent += count
            } else if count < 0, errno == EAGAIN || errno == ENOTCONN || errno == EINPROGRESS, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            } else {
                throw LoopbackError(description: "send: errno \(errno)")
            }
        }
    }

    /// What has arrived and is ready to read, without waiting; `nil` at EOF or on an error.
    public func readAvailable() -> Data? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count < 0, errno == EAGAIN || errno == ENOTCONN {
                return data
            } else {
                return data.isEmpty ? nil : data
            }
        }
    }

    /// Has the server closed the connection (EOF or reset)? Reads and drops whatever came before.
    public var isClosedByPeer: Bool {
        var pollRequest = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&pollRequest, 1, 0) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return true }
            if count < 0 { return errno != EAGAIN }
        }
    }

    /// Waits (checking every 20 ms) until the server closes the connection; `false` if it has
    /// not within `limit`, a generous bound that only stops a failing test from hanging.
    public func waitUntilClosed(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if isClosedByPeer { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// One `GET target` on a new connection, `Connection: close`: the status code, or `nil` when
    /// no complete status line came back within `limit` (the server never accepted, or closed).
    public static func status(of target: String, port: Int, within limit: Duration) async -> Int? {
        guard let connection = try? RawConnection(port: port) else { return nil }
        defer { connection.close() }
        let deadline = ContinuousClock.now + limit
        guard (try? await connection.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                                          within: limit)) != nil else { return nil }
        var received = Data()
        while ContinuousClock.now < deadline {
            guard let data = connection.readAvailable() else { break }
            received.append(data)
            let text = String(decoding: received, as: UTF8.self)
            if let line = text.split(separator: "\r\n", maxSplits: 1).first, text.contains("\r\n"),
               let code = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
                return code
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
