import ArchiveIO
import ArgumentParser
import Jobs
import Logging

// The closed sets of values the options take, as argument-parser reads them: `--help` lists each
// one's values, and a value outside the set is a usage error naming the option.

/// `--backend`: where the users live.
enum BackendKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// The embedded SQLite store and key service.
    case local
    /// DynamoDB and KMS.
    case aws

    /// Case-insensitive; `embedded` is another name for `local`.
    init?(argument: String) {
        let name = argument.lowercased()
        self.init(rawValue: name == "embedded" ? "local" : name)
    }

    /// Its name in reports (`report.json` `backend`), as its tables say it (`backendName`).
    var reportName: String {
        switch self {
        case .local: "embedded"
        case .aws: "aws"
        }
    }
}

/// `--log-format`: log lines on stderr as text, or as one JSON object each (CloudWatch).
enum LogFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case text, json

    init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }
}

/// `--log-level`: swift-log's levels, case-insensitive.
extension Logger.Level: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }
}

/// `--progress`: a live line, periodic log lines, or nothing.
enum ProgressMode: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// A live line on a terminal, log lines otherwise.
    case auto
    /// A live line even when stderr is not a terminal.
    case always
    case never
}

/// `rotate-keys --mode`.
enum RotationMode: String, CaseIterable, ExpressibleByArgument, Sendable {
    case enableRotation = "enable-rotation"
    case rotateNow = "rotate-now"
    case rekey
    case pruneOrphans = "prune-orphans"
}

/// `backfill NAME`.
enum BackfillName: String, CaseIterable, ExpressibleByArgument, Sendable {
    case encryptPlaintext = "encrypt-plaintext"
    case emailGuards = "email-guards"
    case keyMetadata = "key-metadata"
}

extension AuditDepth: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}
extension FailWhen: ExpressibleByArgument {}
extension ArchiveFormat: ExpressibleByArgument {}
