import ArgumentParser
import Foundation
import JobExecution
import Logging
import UserVaultCore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Seed the embedded store (if empty), run the nightly audit, and say where the results are.",
        discussion: """
            Creates 1,000 synthetic users (12 with planted defects) through the real create path when \
            the store has none, prints the first page as the API would list it, then runs the audit and \
            prints its summary and report path, then exports the users' non-credential data \
            (reports/export/users-<UTC stamp>.tar.zst) and verifies the archive. The planted defects are \
            expected findings: the demo exits 0 when the audit and the export ran.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Users to seed when the store is empty.")
    var users: Int = 1000

    @Option(help: "How many of them carry planted defects.")
    var defects: Int = 12

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        let logger = Logger(label: "uservault.demo")
        try await Backend.with(settings, logger: logger) { backend in
            let service = backend.service
            if try await service.list(ListQuery(pageSize: 1)).users.isEmpty {
                print("Seeding \(users) users (\(defects) with planted defects) into \(backend.location) ...")
                let outcome = try await SeedCommand.seed(backend: backend, users: users, defects: defects, seed: 2026,
                                                         concurrency: 8, logger: logger)
                print(String(format: "  done in %.1f s", outcome.seconds))
            }
            let count = try await backend.table.approximateItemCount() ?? 0
            let page = try await service.list(ListQuery(pageSize: 5))
            print("\(backend.location) holds \(count) items (users and their email guards). First page:")
            for user in page.users {
                print("  \(user.id)  \(user.attributes.firstname) \(user.attributes.lastname) <\(user.attributes.email)>")
            }
        }
        print("\nRunning the nightly audit (deep: also owner tags, rotation, orphan keys) ...")
        let context = JobContext(settings: settings, logger: logger)
        var audit = AuditSettings(depth: .deep)
        audit.scan.progress = .never
        let audited = try await JobRequest.audit(audit).execute(context)
        if audited.exitCode == 1 {
            for line in audited.summary { print(line) }
            print("  (the planted defects above are expected findings)")
        } else {
            try audited.conclude(checkpoint: nil)
        }
        let archive = "reports/export/users-\(JobDefinition.stamp(Date())).tar.zst"
        try PrivateDirectory.create(atPath: "reports/export")
        print("\nExporting the users' non-credential data (JSON:API documents, zstd) ...")
        var export = ExportSettings(output: archive)
        export.scan.progress = .never
        try await JobRequest.export(export).execute(context).conclude(checkpoint: nil)
        try await VerifyExportCommand.parse([archive]).run()
        print("""
            Next:
              uservault serve            # the JSON:API at http://127.0.0.1:8080/users
              uservault seed --users N   # more users (--defects N plants faults)
              uservault audit --help     # segments, workers, checkpoints, --fail-on
              uservault export --help    # formats, S3 output, checkpoints
            """)
    }
}
