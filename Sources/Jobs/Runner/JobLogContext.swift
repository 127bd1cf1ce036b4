import Logging

/// What every log line of a job carries, whichever logger writes it (the scan, the progress,
/// an AWS client retrying a request): the run's `runId` and, on Lambda, the invocation's
/// `requestId` and `traceId`.
///
/// The values are task-local, so they follow the job into every task it starts; the log
/// handlers read them through ``provider``, which ``LoggingSystem`` is bootstrapped with. A
/// line logged outside the job's tasks (a NIO callback) does not carry them.
public enum JobLogContext {
    @TaskLocal public static var metadata: Logger.Metadata = [:]

    /// The metadata provider for `LoggingSystem.bootstrap`.
    public static let provider = Logger.MetadataProvider { metadata }

    /// Runs `body` with `extra` added to the current context (a value given twice: the later wins).
    public static func with<Result>(
        _ extra: Logger.Metadata, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Result
    ) async rethrows -> Result {
        try await $metadata.withValue(metadata.merging(extra) { $1 }, operation: body, isolation: isolation)
    }
}
