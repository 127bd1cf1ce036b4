import ArgumentParser
import Foundation
import JobExecution
import Jobs
import Logging
import UserVaultCore

struct RotateKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-keys",
        abstract: "Key-rotation sweeps over the per-user CMKs, and the pruning of orphan ones (a dry run unless --apply).",
        discussion: """
            --mode enable-rotation: turn on automatic rotation of every user's CMK where it is off \
            (a legacy record's key is the one tagged CreatedBy=<id>).
            --mode rekey: a fresh CMK per user (tagged CreatedBy, rotation on); the credentials move to it \
            by ReEncrypt with context {"userId": id}; one conditional write stores them only if the record \
            still holds what was read; then the old key is scheduled for deletion (--pending-days). If the \
            write loses, the new key is scheduled for deletion and the user reported, not overwritten.
            --mode rotate-now: on-demand rotation (RotateKeyOnDemand) of every user's key whose material \
            (its latest rotation, or its creation) is older than --older-than days.
            --mode prune-orphans: schedules the deletion (--pending-days, default 30) of per-user CMKs \
            (tagged CreatedBy) whose user does not exist and that no record names, found by a scan of the \
            whole table (ids and key ids only, never a credential) and one listing of the CreatedBy tag; \
            a key younger than --grace (by its creation date; default 24h, so a create in flight is never \
            raced) is left alone, and so is one whose user exists on a consistent re-read right before \
            acting. The report lists each key and what its deletion saves (about $1 a month each, an \
            estimate). USERVAULT_NOW (an RFC 3339 instant; for tests and replays) sets the time key ages \
            are measured against.
            Without --apply nothing is changed: the report lists what would be done. With it, each \
            action is carried out and reported (done or failed). Writes <report-dir>/rotate-keys/<stamp>-<runId>/ \
            (report.json with actions[], report.md). Exit 0: done (or planned); 1: some actions failed; \
            2: the run could not finish (a partial report says how far it got; --checkpoint/--resume continue it).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scan: ScanOptions

    @Option(help: "What to do to each user's key.")
    var mode: RotationMode = .enableRotation

    @Flag(help: "Act. Without it, a dry run: nothing is changed, the report says what would be.")
    var apply = false

    @OptionGroup var budgets: KMSBudgetOptions

    @OptionGroup var report: ReportFolderOption

    @OptionGroup var metrics: MetricsOptions

    @Option(name: .customLong("older-than"),
            help: ArgumentHelp("rotate-now: rotate keys whose material is older than this many days (e.g. 365 or 365d).", valueName: "days"))
    var olderThan: String = "365"

    @Option(name: .customLong("pending-days"),
            help: "rekey, prune-orphans: the waiting period before a key's deletion, 7–30 days (CancelKeyDeletion undoes it until then).")
    var pendingDays: Int = 30

    @Option(help: ArgumentHelp("prune-orphans: leave keys younger than this alone (e.g. 24h, 90m, 2d).", valueName: "duration"))
    var grace: String = "24h"

    func validate() throws {
        try InvalidSetting.asUsageError { try settings().validate() }
    }

    func settings() throws -> RepairSettings {
        RepairSettings(repair: .rotateKeys(mode: mode, olderThanDays: try RepairSettings.days(parsing: olderThan), pendingDays: pendingDays,
                                           grace: try RepairSettings.grace(parsing: grace)),
                       scan: scan.settings, budgets: budgets.settings, apply: apply, reportDir: report.reportDir)
    }

    func run() async throws {
        try await JobRequest.repair(try settings()).runFromCommandLine(global, metrics: metrics.settings())
    }
}
