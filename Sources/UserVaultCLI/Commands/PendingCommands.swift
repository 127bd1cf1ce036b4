import ArgumentParser

/// A command whose job has not landed yet: listed so `--help` tells the truth, exits 2.
protocol PendingCommand: AsyncParsableCommand {
    var rest: [String] { get }
}

extension PendingCommand {
    func run() async throws {
        let name = Self.configuration.commandName ?? "this command"
        throw CLIExit.failure("`uservault \(name)` is not yet available in this build")
    }

    static func pending(_ name: String, _ abstract: String) -> CommandConfiguration {
        CommandConfiguration(commandName: name, abstract: "(not yet available) \(abstract)")
    }
}

struct BackfillCommand: PendingCommand {
    static let configuration = pending("backfill", "Named, idempotent, resumable data repairs.")
    @Argument(parsing: .allUnrecognized) var rest: [String] = []
}
