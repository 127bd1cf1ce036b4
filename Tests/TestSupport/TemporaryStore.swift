import Crypto
import EmbeddedStore
import Foundation
import UserVaultCore

/// A fresh directory under the system temporary folder, removed by `cleanup`.
public func makeTemporaryDirectory(_ label: String = "uservault-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A real embedded store in a real SQLite file in a temporary directory.
public struct TemporaryStore: Sendable {
    public let directory: URL
    public let store: EmbeddedStore
    public var path: String { store.path }

    public init() throws {
        directory = try makeTemporaryDirectory("uservault-store")
        store = try EmbeddedStore(path: directory.appendingPathComponent("store.sqlite").path)
    }

    public var service: UserService {
        UserService(table: store.table, keys: store.keys, cursors: PageCursorCodec(secret: store.cursorSecret))
    }

    public func cleanup() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A ``UserService`` over a real SQLite store; call `cleanup` when done.
public func makeTemporaryService() throws -> (service: UserService, cleanup: @Sendable () -> Void) {
    let store = try TemporaryStore()
    return (store.service, { store.cleanup() })
}

/// The SHA-256 (lowercase hex) of a SQLite store's bytes: the database file and its write-ahead
/// log (a process that still has the store open may hold its writes there). Equal digests
/// before and after a run mean the run changed nothing in the store.
public func storeSHA256(_ path: String) throws -> String {
    let log = (try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data()
    return Hex.lowercase(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path)) + log))
}

/// `body` with the embedded store at `path`, open in this process only for the call: a test that
/// runs `uservault` child processes on the same file keeps no connection of its own across them.
public func withEmbeddedStore<T: Sendable>(_ path: String, _ body: (EmbeddedStore) async throws -> T) async throws -> T {
    try await body(try EmbeddedStore(path: path))
}
