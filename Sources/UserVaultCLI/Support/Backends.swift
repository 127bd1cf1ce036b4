import EmbeddedStore
import Foundation
import UserVaultCore

/// The composition root: turns settings into the ports the core and jobs run on.
struct Backend: Sendable {
    var table: any UserTable
    var keys: any KeyService
    var cursorSecret: Data
    /// Where the users are, for people: "embedded store .uservault/store.sqlite".
    var location: String

    var service: UserService {
        UserService(table: table, keys: keys, cursors: PageCursorCodec(secret: cursorSecret))
    }

    /// Opens the configured backend. `readOnly` for commands that never write.
    static func open(_ settings: Settings, readOnly: Bool = false) throws -> Backend {
        switch settings.backend {
        case .local:
            do {
                let store = try EmbeddedStore(
                    path: settings.storePath,
                    configuration: .init(tableName: settings.tableName, readOnly: readOnly))
                return Backend(table: store.table, keys: store.keys, cursorSecret: store.cursorSecret,
                               location: "embedded store \(settings.storePath)")
            } catch let error as EmbeddedStoreError {
                throw CLIExit.failure(error.description)
            } catch {
                throw CLIExit.failure("cannot open the embedded store at \(settings.storePath): \(error)")
            }
        case .aws:
            throw CLIExit.failure("the AWS backend (--backend aws) is not available in this build yet; use the embedded store (--backend local)")
        }
    }
}
