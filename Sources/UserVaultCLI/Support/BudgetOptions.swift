import ArgumentParser
import Foundation
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
        guard kmsShare > 0, kmsShare <= 1 else { throw ValidationError("--kms-share must be more than 0 and at most 1") }
        for rate in kmsRates where KMSRateLimits.parseOverride(rate) == nil {
            throw ValidationError("--kms-rate takes NAME=N, e.g. DescribeKey=100 (got '\(rate)')")
        }
    }

    var overrides: [String: Double] {
        Dictionary(kmsRates.compactMap(KMSRateLimits.parseOverride), uniquingKeysWith: { $1 })
    }
}

extension ScanOptions {
    /// The budgets of this process on `backend`: a share of the account's KMS quotas (on AWS),
    /// and reads capped at `--max-read-units`, else at half a provisioned table's capacity, each
    /// split over the workers. An on-demand table, or the embedded store, is not capped.
    func budgets(_ kms: KMSBudgetOptions?, backend: Backend, logger: Logger) async -> JobBudgets {
        var provisioned: Double?
        if maxReadUnits == nil {
            do {
                provisioned = try await backend.table.provisionedReadCapacity()
            } catch {
                logger.debug("could not read the table's provisioned capacity: reads are not capped",
                               metadata: ["error": "\(UserService.safeDescription(error))"])
            }
        }
        return JobBudgets(kmsShare: kms?.kmsShare ?? 0.5, workers: workerShare.count,
                          quotas: backend.keys.backendName == "aws" && kms != nil ? .awsDefaults : nil,
                          overrides: kms?.overrides ?? [:], provisionedReadUnits: provisioned, maxReadUnits: maxReadUnits)
    }
}
