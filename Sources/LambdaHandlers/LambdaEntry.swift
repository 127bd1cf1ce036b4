import EmbeddedStore
import Foundation
import HTTPAPI
import JobExecution
import Jobs
import LambdaRuntime
import Logging

/// `uservault` on AWS Lambda: when `AWS_LAMBDA_RUNTIME_API` is set (and no command is given),
/// the binary runs the Runtime API loop instead of the command line.
///
/// - `_HANDLER=api` (the default): API Gateway REST (payload 1.0) and HTTP API (2.0) events go
///   through the same handlers as `uservault serve`; anything else is an invocation error.
/// - `_HANDLER=job`: see ``LambdaJobs``.
/// - `_HANDLER=stream`: the table's DynamoDB stream, see ``StreamHandler``.
/// - `_HANDLER=key-events`: KMS changes from EventBridge, see ``KeyEventHandler``.
///
/// Settings come from the environment as for the CLI (`USERVAULT_TABLE`, `AWS_REGION`, ...), with
/// two Lambda defaults: the AWS backend, and JSON log lines (CloudWatch).
/// `USERVAULT_BASE_PATH` (e.g. `/prod`) prefixes the links the API writes.
public enum LambdaEntry {
    static let handlers = ["api", "job", "stream", "key-events"]

    static func isLambda(_ environment: [String: String]) -> Bool {
        environment["AWS_LAMBDA_RUNTIME_API"].map { !$0.isEmpty } ?? false
    }

    /// Whether this process is a Lambda function rather than a command line: the Runtime API is
    /// set, and the arguments are nothing or one handler's name (the image's CMD).
    public static func runs(_ arguments: [String], environment: [String: String]) -> Bool {
        isLambda(environment) && arguments.count <= 1 && arguments.allSatisfy(handlers.contains)
    }

    /// - Parameter handler: `api`, `job`, `stream` or `key-events` (the image's CMD); else `_HANDLER`, else `api`.
    public static func run(handler chosen: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) async -> Int32 {
        // Before any SQLite file (an embedded store, a job's run state) is opened.
        EmbeddedStore.configureSQLite()
        var environment = environment
        // Lambda's defaults, in the settings the handlers are given.
        for (name, value) in ["USERVAULT_BACKEND": "aws", "USERVAULT_LOG_FORMAT": "json"] where environment[name] == nil {
            environment[name] = value
        }
        let api = environment["AWS_LAMBDA_RUNTIME_API"] ?? ""
        let handler = chosen ?? environment["_HANDLER"].flatMap { $0.isEmpty ? nil : $0 } ?? "api"
        let bootLogger = Logger(label: "uservault.lambda")
        do {
            let settings = try Settings(Settings.Flags(), environment: environment)
            LogBootstrap.bootstrap(settings)
            let logger = Logger(label: "uservault.lambda")
            let runtime = LambdaRuntime(api: api, logger: logger)
            // Lambda's shutdown phase sends the runtime SIGTERM (when extensions are registered;
            // a test stopping the function does too), between invocations: the process ends
            // normally, so that exit handlers run (buffered output, a coverage profile), rather
            // than by the signal's default action.
            let shutdown = Task.detached {
                guard await SignalWaiter.wait(for: [SIGTERM]) != nil else { return }
                logger.info("SIGTERM: the function is shutting down")
                exit(0)
            }
            defer { shutdown.cancel() }
            switch handler {
            case "api":
                let configuration = UsersAPI.Configuration(basePath: environment["USERVAULT_BASE_PATH"] ?? "")
                try await Backend.with(settings, logger: logger) { backend in
                    let users = UsersAPI(service: backend.service, configuration: configuration)
                    logger.info("serving API Gateway events", metadata: ["backend": "\(backend.location)"])
                    try await runtime.run { context, event in try await APIHandler.serve(users, context: context, event: event) }
                }
            case "job":
                let jobs = LambdaJobs(environment: environment, settings: settings)
                // What every job needs is checked now, so that a bad setting is an init error
                // (reported, and the function stops) rather than a loop whose every invocation fails.
                if jobs.needsAWS { _ = try Backend.awsConfiguration(settings) }
                logger.info("running jobs from EventBridge and Step Functions events")
                try await runtime.run { context, event in try await jobs.run(event, context: context) }
            case "stream", "key-events":
                try await runContinuous(handler, settings: settings, environment: environment, runtime: runtime, logger: logger)
            default:
                await runtime.reportInitError(.init("Runtime.UnknownHandler",
                                                    "_HANDLER must be api, job, stream or key-events (got '\(handler)')"))
                return 2
            }
            return 0
        } catch {
            let message = (error as? JobExit)?.message ?? ErrorLine.of(error)
            await LambdaRuntime(api: api, logger: bootLogger).reportInitError(.init("Runtime.InitError", message))
            ErrorLine.write(message)
            return 2
        }
    }

    /// The continuous proofs: `stream` (standard depth unless `USERVAULT_PROOF_DEPTH`) and
    /// `key-events` (deep: a key's rotation and owner tag are what its events change; DescribeKey
    /// always). `USERVAULT_PUBLISH_FINDINGS=securityhub` publishes to Security Hub, which is then
    /// also what is open. `USERVAULT_SUPPRESSIONS` names the accepted findings (``acceptance(_:logger:)``).
    static func runContinuous(_ handler: String, settings: Settings, environment: [String: String], runtime: LambdaRuntime,
                              logger: Logger) async throws {
        let target = try environment["USERVAULT_PUBLISH_FINDINGS"].flatMap { $0.isEmpty ? nil : $0 }.map { text in
            guard let target = FindingsTarget(choice: text) else {
                throw JobExit.usage("USERVAULT_PUBLISH_FINDINGS must be none or securityhub (got '\(text)')")
            }
            return target
        } ?? .none
        let proofSettings = try ContinuousProofSettings.fromEnvironment(environment, depth: handler == "stream" ? .standard : .deep)
        try await Backend.with(settings, readOnly: true, logger: logger) { backend in
            try await target.withContinuousPublisher(settings: settings, logger: logger) { publisher in
                let outlet = ContinuousOutlet(backend: backend.table.backendName, table: settings.tableName, publisher: publisher)
                let suppressions = ContinuousSuppressions(file: nil, settings: settings)
                logger.info("proving changed users again", metadata: [
                    "handler": "\(handler)", "backend": "\(backend.location)", "depth": "\(proofSettings.depth.rawValue)",
                    "publish": "\(target.rawValue)", "suppressions": "\(environment["USERVAULT_SUPPRESSIONS"] ?? "")",
                ])
                if handler == "stream" {
                    let stream = StreamHandler(proof: proofSettings.proof(on: backend), outlet: outlet, table: settings.tableName,
                                               suppressions: suppressions)
                    try await runtime.run { context, event in try await stream.handle(event, context: context) }
                } else {
                    let keys = KeyEventHandler(proof: proofSettings.proof(on: backend, keyState: .describe), outlet: outlet,
                                               table: settings.tableName, suppressions: suppressions)
                    try await runtime.run { context, event in try await keys.handle(event, context: context) }
                }
            }
        }
    }

    /// The accepted findings of one invocation of a continuous proof: `USERVAULT_SUPPRESSIONS`
    /// read and checked now (`nil` when unset). Read at each invocation, not once per cold start:
    /// the file is edited by hand, and an acceptance added, a rule that ended, or a bad edit and
    /// its fix take effect at the next batch rather than whenever Lambda recycles the
    /// environment; the price is one read (a GetObject for s3://) per invocation, small beside
    /// the KMS proofs of a batch.
    /// - Throws: ``LambdaInvocationError`` `InvalidSuppressions` (one line) for a file that cannot
    ///   be read or is not valid: that invocation fails (a stream batch is retried, within the
    ///   mapping's bounds), the next one reads the file again; never an init error, so never a
    ///   crash loop.
    static func acceptance(_ suppressions: ContinuousSuppressions, logger: Logger) async throws -> FindingAcceptance? {
        do {
            return try await suppressions.read(logger: logger)
        } catch {
            throw LambdaInvocationError("InvalidSuppressions", (error as? JobExit)?.message ?? ErrorLine.of(error))
        }
    }
}
