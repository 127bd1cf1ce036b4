import ArgumentParser
import Foundation
import JobExecution
import Jobs
import Logging
import UserVaultCore

struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Named, idempotent, resumable data repairs (a dry run unless --apply).",
        discussion: """
            email-guards: write the email-uniqueness guard of users created before guards existed, \
            only where no guard holds the email; an email another user holds is reported \
            (DUPLICATE_EMAIL), never resolved.
            key-metadata: for legacy records (no credentialsKeyId), bind the ciphertext to its user by \
            ReEncrypt to the same key (the one tagged CreatedBy=<id>) with context {"userId": id}, and \
            record the key and, when missing, createdAt from the key's creation date.
            encrypt-plaintext: credentials found as plaintext (string or printable bytes) are encrypted \
            with context {"userId": id} under the user's own CMK when the record names one that can \
            take them (enabled, customer managed, tagged CreatedBy=<id>), else under a new CMK tagged \
            CreatedBy=<id> (rotation on); if the conditional write loses, a new key is scheduled for \
            deletion and the user reported.
            Without --apply nothing is changed: the report lists what would be done. Every write is \
            conditional on what was read; a second --apply changes nothing. Writes \
            <report-dir>/backfill/<stamp>-<runId>/ (report.json with actions[], report.md). Exit 0: \
            done (or planned); 1: some actions failed; 2: the run could not finish.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scan: ScanOptions

    @Argument(help: "The repair.")
    var name: BackfillName

    @OptionGroup var budgets: KMSBudgetOptions

    @Flag(help: "Act. Without it, a dry run: nothing is changed, the report says what would be.")
    var apply = false

    @OptionGroup var report: ReportFolderOption

    @OptionGroup var metrics: MetricsOptions

    var settings: RepairSettings {
        RepairSettings(repair: .backfill(name), scan: scan.settings, budgets: budgets.settings, apply: apply, reportDir: report.reportDir)
    }

    func run() async throws {
        try await JobRequest.repair(settings).runFromCommandLine(global, metrics: metrics.settings())
    }
}
