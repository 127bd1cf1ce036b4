import Foundation
import Logging

/// A `Logger` whose lines are kept in memory, to assert on what was logged (and what never is).
///
/// ```swift
/// let logs = LogRecorder()
/// await api.handle(request, logger: logs.logger)
/// #expect(!logs.entries.contains { $0.rendered.contains(password) })
/// ```
public final class LogRecorder: @unchecked Sendable {
    /// One log line: level, message and metadata rendered as strings.
    public struct Entry: Sendable {
        public var level: String
        public var message: String
        public var metadata: [String: String]

        /// Everything in the line, for "never contains" checks.
        public var rendered: String {
            "\(level) \(message) " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    private let lock = NSLock()
    private var recorded: [Entry] = []

    public init() {}

    /// A logger at `trace` level writing into this recorder.
    public var logger: Logger {
        var logger = Logger(label: "uservault.test") { _ in Handler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Every line so far, in order.
    public var entries: [Entry] { lock.withLock { recorded } }

    fileprivate func append(_ entry: Entry) { lock.withLock { recorded.append(entry) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append(Entry(
                level: event.level.rawValue, message: event.message.description,
                metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// A logger that drops everything.
public let quietLogger = Logger(label: "uservault.test.quiet") { _ in SwiftLogNoOpLogHandler() }
