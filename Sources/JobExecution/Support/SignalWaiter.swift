import Dispatch
import Foundation
import Logging

/// Waits for the first of some POSIX signals; cancelling the waiting task ends the wait.
public enum SignalWaiter {
    /// Returns the signal received, or `nil` when cancelled first.
    public static func wait(for signals: [Int32]) async -> Int32? {
        let state = WaitState()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
                state.start(continuation: continuation, signals: signals)
            }
        } onCancel: {
            state.finish(nil)
        }
    }

    /// Guards the continuation so it resumes exactly once.
    private final class WaitState: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Int32?, Never>?
        private var sources: [any DispatchSourceSignal] = []
        private var signals: [Int32] = []
        private var finished = false

        func start(continuation: CheckedContinuation<Int32?, Never>, signals: [Int32]) {
            lock.lock()
            defer { lock.unlock() }
            guard !finished else {
                continuation.resume(returning: nil)
                return
            }
            self.continuation = continuation
            // A parent may have started us with these signals blocked: take them back.
            var set = sigset_t()
            sigemptyset(&set)
            for number in signals { sigaddset(&set, number) }
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            self.signals = signals
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [weak self] in self?.finish(number) }
                source.resume()
                sources.append(source)
            }
        }

        func finish(_ value: Int32?) {
            lock.lock()
            finished = true
            let continuation = self.continuation
            self.continuation = nil
            let sources = self.sources
            let signals = self.signals
            self.sources = []
            self.signals = []
            lock.unlock()
            sources.forEach { $0.cancel() }
            // The signals' default action again: a later SIGTERM (the Lambda loop, a test) ends the process.
            for number in signals { signal(number, SIG_DFL) }
            continuation?.resume(returning: value)
        }
    }
}

extension SignalWaiter {
    /// Runs `body`; SIGINT/SIGTERM cancel it (the scan then stops between pages).
    static func untilSignal<T: Sendable>(logger: Logger, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await cancelling(body) {
            if let signal = await SignalWaiter.wait(for: [SIGINT, SIGTERM]) {
                logger.notice("stopping after the pages in flight", metadata: ["signal": "\(signal)"])
            }
        }
    }
}

/// Runs `body`, cancelled when `trigger` returns first; then waits for what `body` returns or
/// throws once cancelled (a scan's partial result). `trigger` is cancelled when `body` ends first.
func cancelling<T: Sendable>(_ body: @escaping @Sendable () async throws -> T,
                             when trigger: @escaping @Sendable () async -> Void) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            await trigger()
            return nil
        }
        defer { group.cancelAll() }
        while let next = try await group.next() {
            if let result = next { return result }
            // The trigger: cancel the job and wait for its partial result.
            group.cancelAll()
        }
        throw CancellationError()
    }
}
