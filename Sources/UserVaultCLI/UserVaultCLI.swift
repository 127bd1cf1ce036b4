import ArgumentParser
import EmbeddedStore
import Foundation
import Jobs

/// The `uservault` entry point: parses, runs, and maps every outcome to the exit-code contract.
public enum UserVaultCLI {
    /// Runs one command line (without the program name) and returns the exit code.
    public static func main(_ arguments: [String]) async -> Int32 {
        // Before any SQLite file (store or run state) is opened.
        EmbeddedStore.configureSQLite()
        // On Lambda the image's CMD (or the zip's handler) is `api` or `job`, or nothing (`_HANDLER`).
        if LambdaEntry.isLambda(ProcessInfo.processInfo.environment), arguments.count <= 1,
           arguments.allSatisfy(LambdaEntry.handlers.contains) {
            return await LambdaEntry.run(handler: arguments.first)
        }
        let names = Set(UserVaultCommand.configuration.subcommands.compactMap { $0.configuration.commandName })
            .union(["help"])
        if let unknown = CommandWord.unknown(arguments, subcommands: names) {
            var message = "unknown command '\(unknown)'"
            if let nearest = EditDistance.nearest(to: unknown, in: names.sorted()), nearest.distance <= 2 {
                message += "; did you mean '\(nearest.candidate)'?"
            }
            writeError(message, hint: "see `uservault --help`")
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
            writeError(firstLine.hasPrefix("Error: ") ? String(firstLine.dropFirst(7)) : firstLine,
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
        } catch let exit as CLIExit {
            if let message = exit.message { writeError(message) }
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
                writeError(firstLine.hasPrefix("Error: ") ? String(firstLine.dropFirst(7)) : firstLine,
                           hint: "see `uservault --help`")
                return 2
            }
            writeError(oneLine(error))
            return 2
        }
    }

    static func oneLine(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "unknown error"
    }

    static func writeError(_ message: String, hint: String? = nil) {
        var line = "uservault: error: \(message)"
        if let hint { line += " (\(hint))" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
