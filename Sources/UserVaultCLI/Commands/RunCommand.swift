import ArgumentParser
import Foundation
import JobExecution

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a job definition (jobs/*.json): from cron or systemd; Lambda runs the same files.",
        discussion: """
            A job file names the job (audit, export, rotate-keys, backfill, merge-reports), its \
            parameters (the command's long options), where its report and output go, and optionally a \
            worker share and a checkpoint (resumed when it exists). The global options and their \
            environment variables (USERVAULT_BACKEND, USERVAULT_TABLE, AWS_REGION, ...) apply as for the command.
            --dry-run checks the file, prints the equivalent command line, and runs nothing.
            The params "metrics" and "metrics-file" are --metrics and --metrics-file (the options win).
            The exit code is the job's.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The job definition.", valueName: "jobfile"))
    var jobFile: String

    @Flag(name: .customLong("dry-run"), help: "Validate and print the plan; run nothing.")
    var dryRun = false

    @OptionGroup var metrics: MetricsOptions

    func run() async throws {
        let definition: JobDefinition
        let request: JobRequest
        let metricsSettings: MetricsSettings
        do {
            definition = try JobDefinition.load(jobFile)
            request = try definition.request()
            metricsSettings = metrics.settings(over: try definition.metrics())
        } catch let error as JobDefinition.Invalid {
            throw JobExit.failure(error.description.hasPrefix(jobFile) ? error.description : "\(jobFile): \(error.description)")
        }
        if dryRun {
            print("\(jobFile): \(definition.description ?? definition.job)")
            print("would run: uservault " + (try definition.commandLine()).map(Self.quoted).joined(separator: " "))
            return
        }
        try await request.runFromCommandLine(global, metrics: metricsSettings)
    }

    static func quoted(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@{}".contains($0) } ? word : "'\(word)'"
    }
}
