@testable import AWSClients
import Foundation
import Testing
import TestSupport

/// The Security Hub client on the wire (REST-JSON): paths, bodies, signing scope, pages, the
/// per-finding refusals of a 200 answer, and errors, against a loopback server.
@Suite("Security Hub client")
struct SecurityHubClientTests {
    struct Probe: Codable, Sendable, Equatable {
        var Id: String
        var RecordState: String
    }

    @Test("BatchImportFindings: POST /findings/import with {Findings}, signed for securityhub; FailedFindings read")
    func importFindings() async throws {
        let answer = #"{"FailedCount":1,"SuccessCount":1,"FailedFindings":[{"Id":"b","ErrorCode":"InvalidInput","ErrorMessage":"bad"}]}"#
        try await withFaultServer([.ok(body: answer)]) { server in
            try await HTTP1Transport.withTransport { transport in
                let hub = SecurityHubClient(server.client(.securityHub, transport: transport))
                let output = try await hub.batchImportFindings([Probe(Id: "a", RecordState: "ACTIVE"), Probe(Id: "b", RecordState: "ACTIVE")])
                #expect(output.SuccessCount == 1 && output.FailedCount == 1)
                #expect(output.FailedFindings == [SecurityHub.FailedFinding(Id: "b", ErrorCode: "InvalidInput", ErrorMessage: "bad")])
                let request = try #require(server.requests.first)
                #expect(request.method == "POST" && request.uri == "/findings/import")
                #expect(request.header("Content-Type") == "application/json")
                #expect(request.header("Authorization")?.contains("/us-east-1/securityhub/aws4_request") == true)
                let body = try JSONDecoder().decode([String: [Probe]].self, from: request.body)
                #expect(body["Findings"]?.map(\.Id) == ["a", "b"])
            }
        }
    }

    @Test("GetFindings: POST /findings with the filters, every page by NextToken")
    func findingsPages() async throws {
        let first = #"{"Findings":[{"Id":"a","RecordState":"ACTIVE"}],"NextToken":"t1"}"#
        let last = #"{"Findings":[{"Id":"b","RecordState":"ACTIVE"}]}"#
        try await withFaultServer([.ok(body: first), .ok(body: last)]) { server in
            try await HTTP1Transport.withTransport { transport in
                let hub = SecurityHubClient(server.client(.securityHub, transport: transport))
                let filters = SecurityHub.Filters(Id: [.init("PREFIX", "uservault/")], RecordState: [.init("EQUALS", "ACTIVE")])
                var ids: [String] = []
                for try await page in hub.findingsPages(filters: filters, pageSize: 1, as: Probe.self) { ids += page.map(\.Id) }
                #expect(ids == ["a", "b"])
                #expect(server.requests.map(\.uri) == ["/findings", "/findings"])
                let bodies = try server.requests.map { try JSONSerialization.jsonObject(with: $0.body) as? [String: Any] ?? [:] }
                #expect(bodies[0]["NextToken"] == nil && bodies[1]["NextToken"] as? String == "t1")
                #expect(bodies.allSatisfy { $0["MaxResults"] as? Int == 1 })
                let sent = (bodies[0]["Filters"] as? [String: Any])?["Id"] as? [[String: String]]
                #expect(sent == [["Comparison": "PREFIX", "Value": "uservault/"]])
            }
        }
    }

    @Test("an error answer keeps Security Hub's code and status; throttling is retried")
    func errors() async throws {
        try await withFaultServer([.throttle(code: "TooManyRequestsException", status: 429),
                                   .error(status: 403, code: "AccessDeniedException", message: "not subscribed")]) { server in
            try await HTTP1Transport.withTransport { transport in
                let hub = SecurityHubClient(server.client(.securityHub, transport: transport))
                let error = await #expect(throws: AWSError.self) { try await hub.batchImportFindings([Probe(Id: "a", RecordState: "ACTIVE")]) }
                #expect(error?.code == "AccessDeniedException" && error?.statusCode == 403)
                #expect(error?.service == "securityhub" && error?.operation == "BatchImportFindings")
                #expect(server.requestCount == 2)
            }
        }
    }
}
