import Foundation
import LambdaRuntime
import Logging
import Synchronization
import Testing
import TestSupport

/// The Runtime API loop, in-process, against the loopback stand-in: `GET next` → handler →
/// `POST response` or `POST error`; `reportInitError` → `POST init/error`.
@Suite("The Lambda Runtime API loop")
struct LambdaRuntimeTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `LambdaRuntime.run(handler)` on a stand-in until `body` returns, then cancels the
    /// loop and waits for it to end (the loop stops when its task is cancelled).
    static func withLoop<Result: Sendable>(
        logger: Logger = logger, _ handler: @escaping @Sendable (LambdaContext, Data) async throws -> Data,
        _ body: (LambdaRuntimeStandIn) async throws -> Result
    ) async throws -> Result {
        let standIn = try await LambdaRuntimeStandIn.start()
        let loop = Task { try await LambdaRuntime(api: standIn.address, logger: logger).run(handler) }
        func end() async {
            loop.cancel()
            _ = await loop.result
            await standIn.stop()
        }
        do {
            let result = try await body(standIn)
            await end()
            return result
        } catch {
            await end()
            throw error
        }
    }

    /// Each invocation's context and event, as the handler saw them.
    final class Seen: Sendable {
        let invocations = Mutex<[(context: LambdaContext, event: Data)]>([])
        func record(_ context: LambdaContext, _ event: Data) { invocations.withLock { $0.append((context, event)) } }
        var all: [(context: LambdaContext, event: Data)] { invocations.withLock { $0 } }
    }

    static func json(_ data: Data?) throws -> [String: String] {
        let data = try #require(data)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
    }

    @Test("the handler gets the event's bytes, the request id, deadline, function ARN and trace id from the headers; its result is posted as the response")
    func invocation() async throws {
        let seen = Seen()
        let logs = LogRecorder()
        let event = Data([0x7B, 0x00, 0xFF, 0x22]) + Data("an event".utf8)
        let before = Date()
        let outcome = try await Self.withLoop(logger: logs.logger, { context, event in
            seen.record(context, event)
            context.logger.info("handled")
            return Data("answer to \(event.count) bytes".utf8)
        }) { standIn in
            try await standIn.invoke(event, deadline: .seconds(90), requestId: "request-1")
        }
        let after = Date()
        #expect(outcome.response == Data("answer to 12 bytes".utf8), "\(outcome)")
        let invocation = try #require(seen.all.first)
        #expect(seen.all.count == 1)
        #expect(invocation.event == event)
        #expect(invocation.context.requestId == "request-1")
        #expect(invocation.context.invokedFunctionArn == LambdaRuntimeStandIn.functionArn)
        #expect(invocation.context.traceId == LambdaRuntimeStandIn.traceId)
        // Lambda-Runtime-Deadline-Ms was 90 s after the stand-in's clock read, taken between
        // `before` and `after`, in whole milliseconds.
        let deadline = invocation.context.deadline.timeIntervalSince1970
        #expect(deadline >= before.timeIntervalSince1970 + 90 - 0.001 && deadline <= after.timeIntervalSince1970 + 90,
                "\(invocation.context.deadline) not 90 s after \(before)...\(after)")
        // The invocation's logger carries the request id and the trace id.
        let line = try #require(logs.entries.first { $0.message == "handled" })
        #expect(line.metadata["requestId"] == "request-1" && line.metadata["traceId"] == LambdaRuntimeStandIn.traceId, "\(line)")
    }

    @Test("a thrown LambdaInvocationError is posted as {errorType, errorMessage} with its type in the header; the loop goes on to the next invocation")
    func invocationError() async throws {
        let (failed, next) = try await Self.withLoop({ _, event in
            if event == Data("fail".utf8) { throw LambdaInvocationError("Job.Refused", "no such job: \"nightly\"") }
            return Data("ok".utf8)
        }) { standIn in
            (try await standIn.invoke(Data("fail".utf8)), try await standIn.invoke(Data("next".utf8)))
        }
        guard case .error(let type, let body) = failed else { Issue.record("not an error: \(failed)"); return }
        #expect(type == "Job.Refused")
        #expect(try Self.json(body) == ["errorType": "Job.Refused", "errorMessage": "no such job: \"nightly\""])
        #expect(next.response == Data("ok".utf8), "the next invocation is served: \(next)")
    }

    @Test("any other thrown error is posted as Runtime.HandlerError with the error's description; the loop goes on")
    func otherError() async throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "broken handler" } }
        let (failed, next) = try await Self.withLoop({ _, event in
            if event.isEmpty { throw Broken() }
            return event
        }) { standIn in
            (try await standIn.invoke(Data()), try await standIn.invoke(Data("again".utf8)))
        }
        #expect(failed.errorType == "Runtime.HandlerError", "\(failed)")
        guard case .error(_, let body) = failed else { return }
        #expect(try Self.json(body) == ["errorType": "Runtime.HandlerError", "errorMessage": "broken handler"])
        #expect(next.response == Data("again".utf8))
    }

    @Test("invocations are served one after another, each with its own request id")
    func several() async throws {
        let seen = Seen()
        let outcomes = try await Self.withLoop({ context, event in
            seen.record(context, event)
            return Data(context.requestId.utf8)
        }) { standIn in
            var outcomes: [LambdaRuntimeStandIn.Outcome] = []
            for number in 1...3 { outcomes.append(try await standIn.invoke(Data("\(number)".utf8), requestId: "id-\(number)")) }
            return outcomes
        }
        #expect(outcomes.map { $0.response.map { String(decoding: $0, as: UTF8.self) } } == ["id-1", "id-2", "id-3"])
        #expect(seen.all.map { String(decoding: $0.event, as: UTF8.self) } == ["1", "2", "3"])
    }

    // The limit guards against a loop that never ends (its long poll waits 24 h); a machine busy
    // with other work took longer than a minute for the whole test.
    @Test("cancelling the loop's task ends it while it waits for the next invocation", .timeLimit(.minutes(5)))
    func cancelled() async throws {
        let standIn = try await LambdaRuntimeStandIn.start()
        let loop = Task { try await LambdaRuntime(api: standIn.address, logger: Self.logger).run { _, event in event } }
        // One invocation served: the loop is running, and then waits on `GET next` again.
        #expect(try await standIn.invoke(Data("ping".utf8)).response == Data("ping".utf8))
        loop.cancel()
        // Ends (returning, or throwing the cancellation of its pending request): this await
        // returns, where a loop that cannot be stopped would hang to the time limit.
        _ = await loop.result
        await standIn.stop()
    }

    @Test("reportInitError posts {errorType, errorMessage} to init/error with its type in the header")
    func initError() async throws {
        let standIn = try await LambdaRuntimeStandIn.start()
        await LambdaRuntime(api: standIn.address, logger: Self.logger)
            .reportInitError(LambdaInvocationError("Runtime.ConfigError", "USERVAULT_STORE is not set"))
        #expect(standIn.initErrors.count == 1)
        let reported = try #require(standIn.initError)
        #expect(reported.type == "Runtime.ConfigError")
        #expect(try Self.json(reported.body) == ["errorType": "Runtime.ConfigError", "errorMessage": "USERVAULT_STORE is not set"])
        await standIn.stop()
    }
}
