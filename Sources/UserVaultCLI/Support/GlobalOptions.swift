import AWSClients
import ArgumentParser
import Foundation

/// Options every command accepts, before or after the subcommand name; each has an
/// environment variable, and a flag beats the environment.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where the users live: local (the embedded SQLite store) or aws (DynamoDB + KMS). Env: USERVAULT_BACKEND.", valueName: "local|aws"))
    var backend: String?

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

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace|debug|info|notice|warning|error|critical. Env: USERVAULT_LOG_LEVEL. Default: info.", valueName: "level"))
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: ArgumentHelp("Log lines on stderr as text or json. Env: USERVAULT_LOG_FORMAT. Default: text.", valueName: "text|json"))
    var logFormat: String?

    /// The long names that take a value: hoisted when given before the subcommand.
    static let valueOptionNames: Set<String> = [
        "--backend", "--store", "--table", "--region", "--profile", "--endpoint-url", "--log-level", "--log-format",
    ]
}

/// Global settings after flags and environment are combined: read once, at the edge.
struct Settings: Sendable {
    enum Backend: String, Sendable { case local, aws }
    enum LogFormat: String, Sendable { case text, json }

    var backend: Backend
    var storePath: String
    var tableName: String
    var region: String?
    var profile: String?
    var endpointURL: String?
    var logLevel: String
    var logFormat: LogFormat
    /// The AWS flags as given: the AWS configuration resolves them against the environment itself.
    var awsFlags: AWSFlags
    /// The environment, read once here and handed on.
    var environment: [String: String]

    static let defaultStorePath = ".uservault/store.sqlite"
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    init(_ options: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func pick(_ flag: String?, _ names: String...) -> String? {
            if let flag, !flag.isEmpty { return flag }
            for name in names { if let value = environment[name], !value.isEmpty { return value } }
            return nil
        }
        let backendName = pick(options.backend, "USERVAULT_BACKEND") ?? "local"
        switch backendName.lowercased() {
        case "local", "embedded": backend = .local
        case "aws": backend = .aws
        default: throw CLIExit.usage("--backend must be local or aws (got '\(backendName)')")
        }
        storePath = pick(options.store, "USERVAULT_STORE") ?? Self.defaultStorePath
        tableName = pick(options.table, "USERVAULT_TABLE") ?? "users"
        guard tableName.range(of: "^[A-Za-z0-9_.-]{3,255}$", options: .regularExpression) != nil else {
            throw CLIExit.usage("--table must be 3–255 characters of A–Z, a–z, 0–9, '_', '-', '.'")
        }
        region = pick(options.region, "AWS_REGION", "AWS_DEFAULT_REGION")
        profile = pick(options.profile, "AWS_PROFILE")
        endpointURL = pick(options.endpointURL, "AWS_ENDPOINT_URL")
        logLevel = (pick(options.logLevel, "USERVAULT_LOG_LEVEL") ?? "info").lowercased()
        guard Self.logLevels.contains(logLevel) else {
            throw CLIExit.usage("--log-level must be one of \(Self.logLevels.joined(separator: ", "))")
        }
        let format = (pick(options.logFormat, "USERVAULT_LOG_FORMAT") ?? "text").lowercased()
        guard let logFormat = LogFormat(rawValue: format) else { throw CLIExit.usage("--log-format must be text or json") }
        self.logFormat = logFormat
        awsFlags = AWSFlags(region: options.region, profile: options.profile, endpointURL: options.endpointURL)
        self.environment = environment
    }
}
