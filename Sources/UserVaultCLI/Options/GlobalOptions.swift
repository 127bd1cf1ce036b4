import AWSClients
import ArgumentParser
import Foundation
import Logging

/// Options every command accepts, before or after the subcommand name; each has an
/// environment variable, and a flag beats the environment.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Where the users live: local (the embedded SQLite store) or aws (DynamoDB + KMS). Env: USERVAULT_BACKEND.")
    var backend: BackendKind?

    @Option(help: ArgumentHelp("The embedded store's SQLite file. Env: USERVAULT_STORE. Default: .uservault/store.sqlite.", valueName: "path"))
    var store: String?

    @Option(help: ArgumentHelp("The users table name. Env: USERVAULT_TABLE. Default: users.", valueName: "name"))
    var table: String?

    @Option(help: ArgumentHelp("AWS region. Env: AWS_REGION, AWS_DEFAULT_REGION.", valueName: "region"))
    var region: String?

    @Option(help: ArgumentHelp("AWS shared-config profile. Env: AWS_PROFILE.", valueName: "name"))
    var profile: String?

    @Option(name: .customLong("endpoint-url"), help: ArgumentHelp("AWS endpoint override (moto, LocalStack, DynamoDB Local). Env: AWS_ENDPOINT_URL.", valueName: "url"))
    var endpointURL: String?

    @Option(name: .customLong("log-level"), help: "The least severe log lines written. Env: USERVAULT_LOG_LEVEL. Default: info.")
    var logLevel: Logger.Level?

    @Option(name: .customLong("log-format"), help: "Log lines on stderr as text, or one JSON object each. Env: USERVAULT_LOG_FORMAT. Default: text.")
    var logFormat: LogFormat?

    /// The long names that take a value: skipped, with their values, to find the command word.
    static let valueOptionNames: Set<String> = [
        "--backend", "--store", "--table", "--region", "--profile", "--endpoint-url", "--log-level", "--log-format",
    ]
}

/// Global settings after flags and environment are combined: read once, at the edge.
struct Settings: Sendable {
    var backend: BackendKind
    var storePath: String
    var tableName: String
    var region: String?
    var profile: String?
    var endpointURL: String?
    var logLevel: Logger.Level
    var logFormat: LogFormat
    /// The AWS flags as given: the AWS configuration resolves them against the environment itself.
    var awsFlags: AWSFlags
    /// The environment, read once here and handed on.
    var environment: [String: String]
    /// `USERVAULT_NOW` (an RFC 3339 instant): the "now" that rule expiry and key ages are judged by, for tests
    /// and replays; `nil`: the clock's.
    var fixedNow: Date?

    static let defaultStorePath = ".uservault/store.sqlite"

    init(_ options: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func pick(_ flag: String?, _ names: String...) -> String? {
            if let flag, !flag.isEmpty { return flag }
            for name in names { if let value = environment[name], !value.isEmpty { return value } }
            return nil
        }
        backend = try options.backend ?? Self.choice(environment["USERVAULT_BACKEND"], "--backend", "USERVAULT_BACKEND") ?? .local
        storePath = pick(options.store, "USERVAULT_STORE") ?? Self.defaultStorePath
        tableName = pick(options.table, "USERVAULT_TABLE") ?? "users"
        guard tableName.range(of: "^[A-Za-z0-9_.-]{3,255}$", options: .regularExpression) != nil else {
            throw CLIExit.usage("--table must be 3–255 characters of A–Z, a–z, 0–9, '_', '-', '.'")
        }
        region = pick(options.region, "AWS_REGION", "AWS_DEFAULT_REGION")
        profile = pick(options.profile, "AWS_PROFILE")
        endpointURL = pick(options.endpointURL, "AWS_ENDPOINT_URL")
        logLevel = try options.logLevel ?? Self.choice(environment["USERVAULT_LOG_LEVEL"], "--log-level", "USERVAULT_LOG_LEVEL") ?? .info
        logFormat = try options.logFormat ?? Self.choice(environment["USERVAULT_LOG_FORMAT"], "--log-format", "USERVAULT_LOG_FORMAT") ?? .text
        awsFlags = AWSFlags(region: options.region, profile: options.profile, endpointURL: options.endpointURL)
        self.environment = environment
        if let text = environment["USERVAULT_NOW"], !text.isEmpty {
            guard let instant = Self.instant(text) else {
                throw CLIExit.usage("USERVAULT_NOW must be an RFC 3339 instant, e.g. 2027-04-01T02:00:00Z (got '\(text.prefix(40))')")
            }
            fixedNow = instant
        }
    }

    /// The instant a job judges time by (a suppression's expiry, prune-orphans' grace period): `USERVAULT_NOW`
    /// when set, else the clock's now. A job reads it once, when it starts.
    func now() -> Date {
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
    private static func choice<Value: ExpressibleByArgument & CaseIterable>(
        _ text: String?, _ option: String, _ variable: String
    ) throws -> Value? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Value(argument: text) else {
            let allowed = Value.allValueStrings.joined(separator: ", ")
            throw CLIExit.usage("\(variable) (or \(option)) must be one of \(allowed) (got '\(text)')")
        }
        return value
    }
}
