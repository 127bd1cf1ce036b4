import ArgumentParser
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a job definition (jobs/*.json): from cron or systemd; Lambda runs the same files.",
        discussion: """
            A job file names the job (audit, export, rotate-keys, backfill), its parameters (the \
            command's long options), where its report and output go, and optionally a worker share \
            and a checkpoint (resumed when it exists). The global options and their environment \
            variables (USERVAULT_BACKEND, USERVAULT_TABLE, AWS_REGION, ...) apply as for the command.
            --dry-run checks the file and the command line it makes, prints them, and runs nothing.
            The exit code is the job's.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The job definition.", valueName: "jobfile"))
    var jobFile: String

    @Flag(name: .customLong("dry-run"), help: "Validate and print the plan; run nothing.")
    var dryRun = false

    func run() async throws {
        let definition: JobDefinition
        let line: [String]
        do {
            definition = try JobDefinition.load(jobFile)
            line = try definition.commandLine() + Self.globalArguments(global)
        } catch let error as JobDefinition.Invalid {
            throw CLIExit.failure(error.description)
        }
        // The job's own parser checks its options, as it would when run.
        do {
            _ = try UserVaultCommand.parseAsRoot(line)
        } catch let exit as CLIExit {
            throw exit
        } catch {
            let message = UserVaultCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid"
            throw CLIExit.failure("\(jobFile): \(message)")
        }
        if dryRun {
            print("\(jobFile): \(definition.description ?? definition.job)")
            print("would run: uservault " + line.map(Self.quoted).joined(separator: " "))
            return
        }
        let code = await UserVaultCLI.main(line)
        if code != 0 { throw CLIExit(code: code, message: nil) }
    }

    /// The global options given to `run`, handed on to the job.
    static func globalArguments(_ global: GlobalOptions) -> [String] {
        var arguments: [String] = []
        let pairs: [(String, String?)] = [
            ("--backend", global.backend?.rawValue), ("--store", global.store), ("--table", global.table), ("--region", global.region),
            ("--profile", global.profile), ("--endpoint-url", global.endpointURL), ("--log-level", global.logLevel?.rawValue),
            ("--log-format", global.logFormat?.rawValue),
        ]
        for (flag, value) in pairs { if let value { arguments += [flag, value] } }
        return arguments
    }

    static func quoted(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@{}".contains($0) } ? word : "'\(word)'"
    }
}
