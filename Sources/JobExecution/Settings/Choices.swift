import ArchiveIO
import Jobs
import Logging
import UserVaultCore

// The closed sets of values the settings take. The command line reads them as its options'
// values (UserVaultCLI makes each one argument-parser's), a job file's `params` and the
// environment as text: the same type, so the same values, and the same words when one is wrong.

/// A closed set of values read from text: an option's value, a job file's parameter, an
/// environment variable.
public protocol SettingChoice: CaseIterable {
    /// The value `text` names; `nil` when it names none.
    init?(choice text: String)
    /// Every value's name, for the line that says what is allowed.
    static var choiceNames: [String] { get }
}

extension SettingChoice where Self: RawRepresentable, RawValue == String {
    /// Exactly its raw value.
    public init?(choice text: String) {
        self.init(rawValue: text)
    }

    public static var choiceNames: [String] { allCases.map(\.rawValue) }
}

/// `--backend`: where the users live.
public enum BackendKind: String, SettingChoice, Sendable {
    /// The embedded SQLite store and key service.
    case local
    /// DynamoDB and KMS.
    case aws

    /// Case-insensitive; `embedded` is another name for `local`.
    public init?(choice text: String) {
        let name = text.lowercased()
        self.init(rawValue: name == "embedded" ? "local" : name)
    }

    /// Its name in reports (`report.json` `backend`), as its tables say it (`backendName`).
    public var reportName: String {
        switch self {
        case .local: "embedded"
        case .aws: "aws"
        }
    }
}

/// `--log-format`: log lines on stderr as text, or as one JSON object each (CloudWatch).
public enum LogFormat: String, SettingChoice, Sendable {
    case text, json

    public init?(choice text: String) {
        self.init(rawValue: text.lowercased())
    }
}

/// `--log-level`: swift-log's levels, case-insensitive.
extension Logger.Level: SettingChoice {
    public init?(choice text: String) {
        self.init(rawValue: text.lowercased())
    }
}

/// `--progress`: a live line, periodic log lines, or nothing.
public enum ProgressMode: String, SettingChoice, Sendable {
    /// A live line on a terminal, log lines otherwise.
    case auto
    /// A live line even when stderr is not a terminal.
    case always
    case never
}

/// `rotate-keys --mode`.
public enum RotationMode: String, SettingChoice, Sendable {
    case enableRotation = "enable-rotation"
    case rotateNow = "rotate-now"
    case rekey
    case pruneOrphans = "prune-orphans"
}

/// `backfill NAME`.
public enum BackfillName: String, SettingChoice, Sendable {
    case encryptPlaintext = "encrypt-plaintext"
    case emailGuards = "email-guards"
    case keyMetadata = "key-metadata"
}

/// `--key-state`: ``KeyStateSource`` or `auto`.
public enum KeyStateChoice: String, SettingChoice, Sendable {
    case proof, describe, auto

    /// `auto`: `describe` where the key service may ignore key state (an endpoint override), else `proof`.
    func resolved(for backend: Backend) -> KeyStateSource {
        switch self {
        case .proof: .proof
        case .describe: .describe
        case .auto: backend.mayIgnoreKeyState ? .describe : .proof
        }
    }
}

/// `watch --format`.
public enum WatchFormat: String, SettingChoice, Sendable {
    case text, ocsf
}

/// `watch --from`.
public enum FeedStartChoice: String, SettingChoice, Sendable {
    case latest, oldest

    var start: FeedStart { self == .latest ? .latest : .oldest }
}

extension AuditDepth: SettingChoice {}
extension Severity: SettingChoice {}
extension FailWhen: SettingChoice {}
extension ArchiveFormat: SettingChoice {}
