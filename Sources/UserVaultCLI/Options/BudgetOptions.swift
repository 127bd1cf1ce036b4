import ArgumentParser
import Foundation
import JobExecution
import Jobs
import Logging
import UserVaultCore

/// The KMS request budgets of a job that calls KMS (`audit`, `rotate-keys`, `backfill`): a share
/// of the account's quotas by default, absolute per-process rates where asked.
struct KMSBudgetOptions: ParsableArguments {
    @Option(name: .customLong("kms-share"),
            help: ArgumentHelp("The fraction of each of the account's default KMS request quotas the whole job may use (0–1); with --worker I/M each worker takes F/M. The rest is left to production traffic.",
                               valueName: "F"))
    var kmsShare: Double = 0.5

    @Option(name: .customLong("kms-rate"), parsing: .singleValue,
            help: ArgumentHelp("An absolute KMS request budget of this process, requests per second (repeatable; 0 lifts it), instead of its share. Names: Cryptographic (Encrypt, ReEncrypt), DescribeKey, GetKeyRotationStatus, CreateKey, ... The embedded store has no quotas.",
                               valueName: "NAME=N"))
    var kmsRates: [String] = []

    func validate() throws {
        try InvalidSetting.asUsageError { try settings.validate() }
    }

    var settings: KMSBudgetSettings { KMSBudgetSettings(share: kmsShare, rates: kmsRates) }
}
