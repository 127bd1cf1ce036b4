import ArgumentParser
import Foundation
import JobExecution
import Jobs

/// `uservault watch`: the continuous proof without Lambda, for cron/systemd deployments and the
/// embedded store.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Prove every user written, or whose key changed, again as it happens; print each finding opened or resolved.",
        discussion: """
            On AWS it follows the table's DynamoDB stream (every shard, parents before children; the \
            table needs a stream, view type KEYS_ONLY: `uservault init` and the template create one). On \
            the embedded store it follows the store's change log, which every write records in the same \
            transaction. Each changed user is read again (consistently) and proven with the audit's own \
            checks; a changed key proves its owner (its CreatedBy tag).
            One line on stdout per finding opened or resolved (--format ocsf: one OCSF 1.5.0 Detection \
            Finding each). The position read and the open findings are kept in --state: a restart \
            continues where it stopped, and a fresh watch begins at --from (latest: what changes from now on).
            --report-dir writes a rolling report (report.json, report.md) of the findings open now, \
            rewritten after every batch. --publish-findings securityhub sends them to Security Hub as the \
            nightly audit does (the same finding ids), which is then also what is open. --suppressions \
            (or USERVAULT_SUPPRESSIONS) accepts findings as it does for the audit.
            SIGINT/SIGTERM stop it cleanly (exit 0).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The watch's state: position and open findings. Default: .uservault/watch-<backend>-<table>.sqlite.",
                               valueName: "path"))
    var state: String?

    @Option(help: "Where a watch without a state begins: latest (from now on) or oldest (all the stream or change log still holds, up to 24 hours).")
    var from: FeedStartChoice = .latest

    @Option(help: "standard, or deep: also each key's rotation, owner tag and key spec (more KMS requests per user).")
    var depth: AuditDepth = .standard

    @Option(name: .customLong("key-state"), help: "As for audit: proof, describe, or auto (describe with an endpoint override).")
    var keyState: KeyStateChoice = .auto

    @Option(help: "Lines on stdout: text (one line per finding opened or resolved) or ocsf (one OCSF Detection Finding JSON line each).")
    var format: WatchFormat = .text

    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Write a rolling report here (a local folder), rewritten after every batch.",
                                                                valueName: "dir"))
    var reportDir: String?

    @Option(name: .customLong("publish-findings"), help: "Also send findings opened and resolved to AWS Security Hub (securityhub; needs --backend aws).")
    var publishFindings: FindingsTarget = .none

    @Option(help: ArgumentHelp("Seconds between polls when nothing changed. Default: 0.1 on the embedded store, 1 on AWS (a stream shard allows 5 reads a second).",
                               valueName: "seconds"))
    var interval: Double?

    @Option(name: .customLong("suppressions"), help: ArgumentHelp(
        ReportOptions.suppressionsHelp + " An accepted finding is still reported, marked (text: \"; accepted (rule R, owner O, until D)\"; OCSF: status Suppressed; Security Hub: SUPPRESSED; the rolling report: accepted), and one whose rule ends while the watch runs is opened again. A bad file: exit 2 before anything is followed. " + ReportOptions.expiryHelp,
        valueName: "file"))
    var suppressions: String?

    func validate() throws {
        try InvalidSetting.asUsageError { try ReviewSettings(suppressions: suppressions).validate() }
        if let interval, !(0.01...60).contains(interval) { throw ValidationError("--interval must be 0.01–60 seconds") }
        if let reportDir, reportDir.hasPrefix("s3://") { throw ValidationError("--report-dir must be a local folder for watch") }
    }

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        try await WatchSettings(state: state, from: from, depth: depth, keyState: keyState, format: format, reportDir: reportDir,
                                publishFindings: publishFindings, interval: interval, suppressions: suppressions).run(settings)
    }
}
