import ArgumentParser

/// `uservault`: the CLI and the local API server (on Lambda, ``LambdaEntry`` runs instead).
struct UserVaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uservault",
        abstract: "Users with KMS-sealed passwords (one CMK per user), and the jobs that keep their table honest.",
        discussion: """
            Backends: the embedded SQLite store (default, --store) or AWS DynamoDB + KMS (--backend aws).
            Global options may stand before or after the command; each has an environment variable \
            (USERVAULT_BACKEND, USERVAULT_STORE, USERVAULT_TABLE, AWS_REGION, AWS_PROFILE, \
            AWS_ENDPOINT_URL, USERVAULT_LOG_LEVEL, USERVAULT_LOG_FORMAT), and a flag beats it.

            Exit codes: 0 done (no findings at or above --fail-on); 1 findings, or a failed \
            verification; 2 usage, configuration or operational error.
            """,
        subcommands: [
            InitCommand.self, SeedCommand.self, ServeCommand.self, DemoCommand.self,
            AuditCommand.self, ExportCommand.self, VerifyExportCommand.self, RotateKeysCommand.self,
            BackfillCommand.self, SetPasswordCommand.self, RunCommand.self, MergeReportsCommand.self, WatchCommand.self,
        ]
    )

    /// The global options, here and in every subcommand: argument-parser gives both the same
    /// values, so they may stand before or after the subcommand's name.
    @OptionGroup var global: GlobalOptions
}
