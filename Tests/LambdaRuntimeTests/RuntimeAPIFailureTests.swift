import Foundation
import LambdaRuntime
import Logging
import Testing
import TestSupport

/// A Runtime API that answers wrongly, from a loopback server answering every request the same
/// way: `GET next` without an invocation ends the loop with `Runtime.NextFailed` (the handler
/// never runs), and an init error that cannot be posted is logged, not thrown.
@Suite("The Lambda Runtime API loop: a Runtime API that fails")
struct RuntimeAPIFailureTests {
    /// Every request answered with `status` (and no Lambda headers); the server's requests after `body`.
    static func withRuntimeAPI(answering status: Int, _ body: (String) async throws -> Void) async throws
        -> [CredentialEndpointRequest] {
        try await withCredentialEndpointServer(handler: { _ in CredentialEndpointResponse(status: status, body: "{}") }) { server in
            try await body("127.0.0.1:\(server.port)")
            return server.requests
        }
    }

    @Test("GET next answered without an invocation (an error status, or 200 without a request id): Runtime.NextFailed",
          arguments: [500, 200])
    func nextFails(status: Int) async throws {
        let requests = try await Self.withRuntimeAPI(answering: status) { api in
            let error = await #expect(throws: LambdaInvocationError.self) {
                try await LambdaRuntime(api: api, logger: quietLogger).run { _, _ in
                    Issue.record("the handler ran without an invocation")
                    return Data()
                }
            }
            #expect(error?.errorType == "Runtime.NextFailed")
            #expect(error?.description == "Runtime.NextFailed: GET next answered \(status)")
        }
        #expect(requests.map { "\($0.method) \($0.path)" } == ["GET /2018-06-01/runtime/invocation/next"])
    }

    @Test("an init error the Runtime API refuses is logged with the refusal, and reportInitError returns")
    func initErrorRefused() async throws {
        let recorder = LogRecorder()
        let requests = try await Self.withRuntimeAPI(answering: 403) { api in
            await LambdaRuntime(api: api, logger: recorder.logger)
                .reportInitError(LambdaInvocationError("Runtime.ConfigError", "USERVAULT_STORE is not set"))
        }
        #expect(requests.map { "\($0.method) \($0.path)" } == ["POST /2018-06-01/runtime/init/error"])
        let logged = recorder.entries.filter { $0.message == "could not report the init error" }
        #expect(logged.count == 1)
        #expect(logged.first?.level == "error")
        #expect(logged.first?.metadata["error"] == "Runtime.PostFailed: POST init/error answered 403")
    }
}
