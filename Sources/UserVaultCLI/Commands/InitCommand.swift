import ArgumentParser
import Foundation
import JobExecution
import Logging

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the users table (and its EmailIndex) on the target if missing.",
        discussion: "Idempotent: an existing table is left as it is. The embedded store is created on first use.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        try await Backend.with(settings, logger: Logger(label: "uservault.init")) { backend in
            let created = try await backend.table.ensureTable()
            print("table '\(settings.tableName)' \(created ? "created" : "ready") on \(backend.location)")
        }
    }
}
