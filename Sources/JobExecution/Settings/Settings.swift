import AWSClients
import Foundation
import Logging

/// Global settings after flags and environment are combined: read once, at the edge (the
/// command line's global options, or a Lambda function's environment).
public struct Settings: Sendable {
    public var backend: BackendKind
    public var storePath: String
    public var tableName: String
    public var region: String?
    public var profile: String?
    public var endpointURL: String?
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// The AWS flags as given: the AWS configuration resolves them against the environment itself.
    public var awsFlags: AWSFlags
    /// The environment, read once here and handed on.
    public var environment: [String: String]
    /// `USERVAULT_NOW` (an RFC 3339 instant): the "now" that rule expiry and key ages are judged by, for tests
    /// and replays; `nil`: the clock's.
    public var fixedNow: Date?

    public static let defaultStorePath = ".uservault/store.sqlite"

    /// The global flags as given (the command line's; none on Lambda): each wins over its
    /// environment variable.
    public struct Flags: Sendable {
        public var backend: BackendKind?
        public var store: String?
        public var table: String?
        public var region: String?
        public var profile: String?
        public var endpointURL: String?
        public var logLevel: Logger.Level?
        public var logFormat: LogFormat?

        public init(backend: BackendKind? = nil, store: String? = nil, table: String? = nil, region: String? = nil,
                    profile: String? = nil, endpointURL: String? = nil, logLevel: Logger.Level? = nil, logFormat: LogFormat? = nil) {
            self.backend = backend
            self.store = store
            self.table = table
            self.region = region
            self.profile = profile
            self.endpointURL = endpointURL
            self.logLevel = logLevel
            self.logFormat = logFormat
        }
    }

    public init(_ flags: Flags, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func pick(_ flag: String?, _ names: String...) -> String? {
            if let flag, !flag.isEmpty { return flag }
            for name in names { if let value = environment[name], !value.isEmpty { return value } }
            return nil
        }
        backend = try flags.backend ?? Self.choice(environment["USERVAULT_BACKEND"], "--backend", "USERVAULT_BACKEND") ?? .local
        storePath = pick(flags.store, "USERVAULT_STORE") ?? Self.defaultStorePath
        tableName = pick(flags.table, "USERVAULT_TABLE") ?? "users"
        guard tableName.range(of: "^[A-Za-z0-9_.-]{3,255}$", options: .regularExpression) != nil else {
            throw JobExit.usage("--table must be 3–255 characters of A–Z, a–z, 0–9, '_', '-', '.'")
        }
        region = pick(flags.region, "AWS_REGION", "AWS_DEFAULT_REGION")
        profile = pick(flags.profile, "AWS_PROFILE")
        endpointURL = pick(flags.endpointURL, "AWS_ENDPOINT_URL")
        logLevel = try flags.logLevel ?? Self.choice(environment["USERVAULT_LOG_LEVEL"], "--log-level", "USERVAULT_LOG_LEVEL") ?? .info
        logFormat = try flags.logFormat ?? Self.choice(environment["USERVAULT_LOG_FORMAT"], "--log-format", "USERVAULT_LOG_FORMAT") ?? .text
        awsFlags = AWSFlags(region: flags.region, profile: flags.profile, endpointURL: flags.endpointURL)
        self.environment = environment
        if let text = environment["USERVAULT_NOW"], !text.isEmpty {
            guard let instant = Self.instant(text) else {
                throw JobExit.usage("USERVAULT_NOW must be an RFC 3339 instant, e.g. 2027-04-01T02:00:00Z (got '\(text.prefix(40))')")
            }
            fixedNow = instant
        }
    }

    /// The instant a job judges time by (a suppression's expiry, prune-orphans' grace period): `USERVAULT_NOW`
    /// when set, else the clock's now. A job reads it once, when it starts.
    public func now() -> Date {
        fixedNow ?? Date()
    }

    /// `2027-04-01T02:00:00Z`, `2027-04-01T02:00:00.5+02:00`.
    static func instant(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// An option's value from its environment variable (empty: unset); one not in the set is a
    /// usage error naming both, with the allowed values.
    private static func choice<Value: SettingChoice>(_ text: String?, _ option: String, _ variable: String) throws -> Value? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Value(choice: text) else {
            let allowed = Value.choiceNames.joined(separator: ", ")
            throw JobExit.usage("\(variable) (or \(option)) must be one of \(allowed) (got '\(text)')")
        }
        return value
    }
}
