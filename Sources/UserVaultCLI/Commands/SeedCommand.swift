import ArgumentParser
import Foundation
import JobExecution
import Logging
import UserVaultCore

struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Create synthetic users through the real create path (per-user CMK, sealed password).",
        discussion: """
            --defects N makes the last N of the --users N users faulty, cycling through: \
            \(DefectKind.allCases.map(\.rawValue).joined(separator: ", ")). \
            For demos and tests of the audit; --manifest writes which user carries which fault \
            (ids and kinds only, never a password).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many users to create.")
    var users: Int

    @Option(help: "How many of them get a planted fault.")
    var defects: Int = 0

    @Option(help: "Random seed, for a reproducible population (default: random).")
    var seed: UInt64?

    @Option(help: "Creates in flight at once.")
    var concurrency: Int = 8

    @Option(help: ArgumentHelp("Write the planted defects as JSON to this file.", valueName: "path"))
    var manifest: String?

    func validate() throws {
        guard users >= 1 else { throw ValidationError("--users must be at least 1") }
        guard (0...users).contains(defects) else { throw ValidationError("--defects must be between 0 and --users") }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1–256") }
    }

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        let logger = Logger(label: "uservault.seed")
        let (outcome, location) = try await Backend.with(settings, logger: logger) { backend in
            (try await Self.seed(backend: backend, users: users, defects: defects, seed: seed,
                                 concurrency: concurrency, logger: logger), backend.location)
        }
        if let manifest {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(outcome).write(to: URL(fileURLWithPath: manifest), options: .atomic)
        }
        let rate = Double(outcome.created) / max(outcome.seconds, 0.001)
        print("seeded \(outcome.created) users (\(outcome.defects.count) with planted defects) in "
              + String(format: "%.1f s (%.0f users/s)", outcome.seconds, rate) + " into \(location)")
    }

    static func seed(backend: Backend, users: Int, defects: Int, seed: UInt64?, concurrency: Int,
                     logger: Logger) async throws -> Seeder.Outcome {
        let configuration = Seeder.Configuration(users: users, defects: defects, seed: seed ?? .random(in: .min ... .max),
                                                 concurrency: concurrency)
        let total = users
        do {
            return try await Seeder(service: backend.service).run(configuration, logger: logger) { done in
                logger.info("seeding", metadata: ["created": "\(done)", "of": "\(total)"])
            }
        } catch {
            throw JobExit.failure("seeding failed: \(UserService.safeDescription(error))")
        }
    }
}
