import ArgumentParser
import Foundation
import JobExecution
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

extension Settings {
    /// The global options over the environment: a flag beats its environment variable.
    init(_ options: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try self.init(Flags(backend: options.backend, store: options.store, table: options.table, region: options.region,
                            profile: options.profile, endpointURL: options.endpointURL, logLevel: options.logLevel,
                            logFormat: options.logFormat), environment: environment)
    }
}
