import EmbeddedStore
import Foundation
import HTTPAPI
import Synchronization
import UserVaultCore

/// What the harnesses that need more than bytes share within one process: a private temporary
/// folder (an archive written to a file for the export reader) and, made on first use, a real
/// embedded store behind the users API (SQLite file, local keys).
public final class FuzzWorkspace: Sendable {
    public let directory: URL
    private let api = Mutex<(users: UsersAPI, secret: Data)?>(nil)

    public init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("uservault-fuzz-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// The users API over the workspace's store, and the store's cursor secret.
    func usersAPI() throws -> (users: UsersAPI, secret: Data) {
        try api.withLock { api in
            if let api { return api }
            let store = try EmbeddedStore(path: directory.appendingPathComponent("store.sqlite").path)
            let service = UserService(table: store.table, keys: store.keys, cursors: PageCursorCodec(secret: store.cursorSecret))
            let made = (users: UsersAPI(service: service), secret: store.cursorSecret)
            api = made
            return made
        }
    }

    /// Removes the folder and what is in it.
    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
