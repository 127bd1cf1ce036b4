import ArgumentParser
import EmbeddedStore
import Foundation
import JobExecution
import Jobs

/// The `uservault` command line: parses, runs, and maps every outcome to the exit-code contract.
/// (On Lambda, `main.swift` runs ``LambdaEntry`` of LambdaHandlers instead.)
public enum UserVaultCLI {
    /// Runs one command line (without the program name) and returns the exit code.
    public static func main(_ arguments: [String]) async -> Int32 {
        // Before any SQLite file (store or run state) is opened.
        EmbeddedStore.configureSQLite()
        let names = Set(UserVaultCommand.configuration.subcommands.compactMap { $0.configuration.commandName })
            .union(["help"])
        if let unknown = CommandWord.unknown(arguments, subcommands: names) {
            var message = "unknown command '\(unknown)'"
            if let nearest = EditDistance.nearest(to: unknown, in: names.sorted()), nearest.distance <= 2 {
                message += "; did you mean '\(nearest.candidate)'?"
            }
            ErrorLine.write(message, hint: "see `uservault --help`")
            return 2
        }
        let command: any ParsableCommand
        do {
            command = try UserVaultCommand.parseAsRoot(arguments)
        } catch {
            let code = UserVaultCommand.exitCode(for: error)
            let message = UserVaultCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                return 0
            }
            let firstLine = message.split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            ErrorLine.write(firstLine.hasPrefix("Error: ") ? String(firstLine.dropFirst(7)) : firstLine,
                       hint: "see `uservault --help`")
            return 2
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            return 0
        } catch let exit as JobExit {
            if let message = exit.message { ErrorLine.write(message) }
            return exit.code
        } catch {
            // ArgumentParser's own commands (help) and errors may surface here too.
            if UserVaultCommand.exitCode(for: error) == .success {
                print(UserVaultCommand.fullMessage(for: error))
                return 0
            }
            // A usage error from a command parsed inside another (`demo`, `run`): argument-parser says so by its exit code.
            if UserVaultCommand.exitCode(for: error) == .validationFailure {
                let message = UserVaultCommand.fullMessage(for: error)
                let firstLine = message.split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                ErrorLine.write(firstLine.hasPrefix("Error: ") ? String(firstLine.dropFirst(7)) : firstLine,
                           hint: "see `uservault --help`")
                return 2
            }
            ErrorLine.write(ErrorLine.of(error))
            return 2
        }
    }
}
