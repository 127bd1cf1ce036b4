import ArgumentParser
import EmbeddedStore
import Foundation
import JobExecution
import Jobs
import Logging
import UserVaultCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify every user's credentials are KMS ciphertext under an existing, enabled CMK of their own.",
        discussion: """
            A parallel segmented scan. Per user: credentials present, binary, not plaintext, proven \
            genuine by ReEncrypt to the same key (never Decrypt), the key existing and enabled: on AWS KMS \
            the proof's own answer says so (--key-state proof, one KMS request per user); with an endpoint \
            override, DescribeKey first (--key-state describe, two). Across the scan: keys shared by \
            several users, emails held by several users. --depth deep adds each key's rotation status, \
            CreatedBy owner tag and key spec, and per-user CMKs no user references (orphans).
            With --as-of TIME or --from-export, the items come from DynamoDB's export to S3 (no read capacity \
            spent); the KMS proofs still run live, so the report says: items as of the export's time, key \
            states as of the run. --worker I/M then takes every M-th data file of the export.
            Legacy records (no credentialsKeyId) are checked against the CMK tagged CreatedBy=<id>, found \
            with one listing of the Resource Groups Tagging API (IAM: tag:GetResources).
            KMS requests stay under AWS's default request quotas per API (--kms-rate overrides).
            Writes <report-dir>/audit/<UTC stamp>-<runId>/report.json, report.md, report.html (a \
            self-contained page: tiles, charts, the trend of the folder's earlier runs) and findings.ocsf.json \
            (one OCSF 1.5.0 Detection Finding per finding); a --worker run also \
            writes audit-share.json there, for `uservault merge-reports`.
            --publish-findings securityhub also sends the findings to AWS Security Hub once the report is \
            written (report.json then says what was published, in `published`).
            --suppressions FILE accepts findings (rules with a reason, an owner and an end date): they stay \
            in every output, marked, and do not count. Every run is compared with a baseline (--baseline \
            auto: the newest earlier complete report of the same table and depth in --report-dir): \
            report.json's delta lists the new and the resolved findings.
            Exit 0: no unaccepted finding at or above --fail-on (with --fail-when new: none new since the \
            baseline); 1: findings; 2: the run could not finish (a partial report says how far it got), \
            its findings were not all published, or a bad suppressions file or baseline (before anything \
            is scanned). SIGINT/SIGTERM stop cleanly between pages; with --checkpoint the run can be \
            resumed with --resume.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scan: ScanOptions

    @Option(help: "standard: at most 2 KMS requests per user; deep: also rotation, owner tag, key spec, orphan keys.")
    var depth: AuditDepth = .standard

    @Option(name: .customLong("key-state"),
            help: ArgumentHelp("Where key states come from. proof: the proof's own answer (AWS KMS refuses ReEncrypt under a disabled, pending-deletion or missing key): one KMS request per user. describe: DescribeKey first (for emulators such as moto, which ignore key state in crypto calls). auto: describe when an endpoint override is set, else proof."))
    var keyState: KeyStateChoice = .auto

    @OptionGroup var budgets: KMSBudgetOptions

    @OptionGroup var report: ReportOptions

    @OptionGroup(title: "Point in time (DynamoDB export to S3)") var snapshot: SnapshotOptions

    @OptionGroup var metrics: MetricsOptions

    var settings: AuditSettings {
        AuditSettings(scan: scan.settings, budgets: budgets.settings, depth: depth, keyState: keyState,
                      reportDir: report.reportDir, failOn: report.failOn, publishFindings: report.publishFindings,
                      review: report.review, snapshot: snapshot.settings)
    }

    func validate() throws {
        try InvalidSetting.asUsageError { try settings.validate() }
    }

    func run() async throws {
        try await JobRequest.audit(settings).runFromCommandLine(global, metrics: metrics.settings())
    }
}
