import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPAPI
import Testing
import TestSupport

@Suite("APIServer")
struct APIServerTests {
    @Test("binds port 0 to a free port, reports it, serves, and returns when its task is cancelled")
    func runsUntilCancelled() async throws {
        let (service, cleanup) = try makeTemporaryService()
        defer { cleanup() }
        let api = UsersAPI(service: service)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            group.addTask {
                defer { continuation.finish() }
                try await APIServer.run(api: api, host: "127.0.0.1", port: 0, logger: quietLogger) { continuation.yield($0) }
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            #expect(port > 0)

            let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: "http://127.0.0.1:\(port)/users")))
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            try await expectConformingResponses([(200, (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type"), data)])

            group.cancelAll()
            // `run` ends without an error once cancelled.
            try await group.next()
        }
    }
}
