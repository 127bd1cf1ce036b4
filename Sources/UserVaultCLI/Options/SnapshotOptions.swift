import ArgumentParser
import Foundation
import JobExecution

/// `--as-of` / `--from-export`: the items of `export` and `audit` from DynamoDB's own export to
/// S3 instead of a scan of the live table (``SnapshotSettings``).
struct SnapshotOptions: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp(
        "Read the table as it was at this instant (RFC 3339, e.g. 2026-11-30T00:00:00Z; midnight: the last 00:00 UTC; or now), from a DynamoDB export to S3 (ExportTableToPointInTime, DYNAMODB_JSON): no read capacity spent. Needs --backend aws, point-in-time recovery on the table, and --staging.",
        valueName: "time"))
    var asOf: String?

    @Option(name: .customLong("from-export"), help: ArgumentHelp(
        "Read an export that already exists: its folder s3://bucket/prefix/AWSDynamoDB/<ExportId>/, or its ARN (waited for when still in progress).",
        valueName: "s3-folder|arn"))
    var fromExport: String?

    @Option(help: ArgumentHelp("Where DynamoDB writes the --as-of export (its data files hold every attribute: keep the prefix private).",
                               valueName: "s3://bucket/prefix"))
    var staging: String?

    @Option(name: .customLong("staging-kms-key"), help: ArgumentHelp("Encrypt the --as-of export with SSE-KMS under this key (else SSE-S3).",
                                                                     valueName: "key"))
    var stagingKMSKey: String?

    @Option(help: ArgumentHelp("Wait at most this long for the export (90s, 30m, 2h; default: as long as it takes); then exit 2 naming the export's ARN to resume from.",
                               valueName: "duration"))
    var wait: String?

    var settings: SnapshotSettings {
        SnapshotSettings(asOf: asOf, fromExport: fromExport, staging: staging, stagingKMSKey: stagingKMSKey, wait: wait)
    }
}
