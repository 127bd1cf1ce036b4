import Foundation
import Synchronization

/// One fuzz target: a function from untrusted bytes to "parse them, and check what must hold".
///
/// The same function runs under libFuzzer (`make fuzz`, the `uservault-fuzz` driver) and in the
/// normal test suite, which replays every committed corpus and regression input through it
/// (`Tests/FuzzHarnessesTests`). A parser's own typed error is a normal outcome; anything else
/// (a crash, another error type, a broken invariant) is a finding.
///
/// ```swift
/// let workspace = try FuzzWorkspace()
/// try await FuzzTarget.named("aws-xml")!.check(Array(data), in: workspace)
/// ```
public struct FuzzTarget: Sendable {
    /// The name `make fuzz` and the corpus folder use: `Fuzz/corpus/<name>/`.
    public let name: String
    /// What it feeds the bytes to.
    public let summary: String
    private let body: Body

    private enum Body: Sendable {
        case sync(@Sendable ([UInt8], FuzzWorkspace) throws -> Void)
        case async(@Sendable ([UInt8], FuzzWorkspace) async throws -> Void)
    }

    init(_ name: String, _ summary: String, sync body: @escaping @Sendable ([UInt8], FuzzWorkspace) throws -> Void) {
        (self.name, self.summary, self.body) = (name, summary, .sync(body))
    }

    init(_ name: String, _ summary: String, async body: @escaping @Sendable ([UInt8], FuzzWorkspace) async throws -> Void) {
        (self.name, self.summary, self.body) = (name, summary, .async(body))
    }

    /// Every target, in the order `make fuzz` runs them.
    public static let all: [FuzzTarget] = [
        HTTP1AnswerHarness.target, AWSJSONHarness.target, AWSXMLHarness.target, SharedConfigHarness.target,
        APIRequestHarness.target, JobFileHarness.target, LambdaEventHarness.target, ExportArchiveHarness.target,
    ]

    public static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }

    /// Runs the harness on `input`.
    /// - Throws: ``InvariantViolation`` only: what the harness found wrong.
    public func check(_ input: [UInt8], in workspace: FuzzWorkspace) async throws {
        switch body {
        case .sync(let body): try body(input, workspace)
        case .async(let body): try await body(input, workspace)
        }
    }

    /// ``check(_:in:)`` from synchronous code (libFuzzer's callback), waiting for an async harness.
    public func checkBlocking(_ input: [UInt8], in workspace: FuzzWorkspace) throws {
        switch body {
        case .sync(let body):
            try body(input, workspace)
        case .async(let body):
            let outcome = Mutex<Result<Void, any Error>?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                let result: Result<Void, any Error>
                do {
                    try await body(input, workspace)
                    result = .success(())
                } catch {
                    result = .failure(error)
                }
                outcome.withLock { $0 = result }
                done.signal()
            }
            done.wait()
            try outcome.withLock { $0 }?.get()
        }
    }
}
