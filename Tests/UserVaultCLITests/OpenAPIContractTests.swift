import Foundation
import Testing
import TestSupport

/// `openapi.yaml` against the running binary: schemathesis with every check against a live
/// `uservault serve`, and `GET /openapi.json` from serve and from the API Lambda.
@Suite("OpenAPI contract: schemathesis against uservault serve; /openapi.json from serve and Lambda")
struct OpenAPIContractTests {
    @Test("schemathesis, every check and phase (a fixed seed, bounded examples), finds nothing against a live serve")
    func schemathesis() async throws {
        let directory = try makeTemporaryDirectory("uservault-openapi")
        defer { try? FileManager.default.removeItem(at: directory) }
        // A few users, so that lists have pages and links.next.
        let seeded = try await runUserVault(["seed", "--users", "25", "--log-level", "warning"], in: directory)
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")
        let (run, exitCode, stderr) = try await withServedUserVault(["--log-level", "warning"], in: directory) { served in
            try await runSchemathesis(port: served.port, seed: 20_261_204, maxExamples: 200)
        }
        #expect(run.status == 0, "schemathesis exited with \(run.status):\n\(run.output)")
        // It ran every phase against all four operations.
        #expect(run.output.contains("Operations:       4 selected / 4 total"), "\(run.output)")
        for phase in ["Examples", "Coverage", "Fuzzing", "Stateful"] {
            #expect(run.output.contains("✅ \(phase)"), "phase \(phase):\n\(run.output)")
        }
        #expect(exitCode == 0, "serve: \(stderr)")
    }

    @Test("GET /openapi.json from serve, and from the API Lambda (REST and HTTP API events), is openapi.yaml")
    func servedEverywhere() async throws {
        let directory = try makeTemporaryDirectory("uservault-openapi-served")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (fromServe, _, _) = try await withServedUserVault([], environment: ["USERVAULT_STORE": "s.sqlite"], in: directory) {
            client in try await client.send("GET", "/openapi.json")
        }
        #expect(fromServe.status == 200)
        #expect(fromServe.header("Content-Type") == "application/json")

        let standIn = try await LambdaRuntimeStandIn.start()
        let store = directory.appendingPathComponent("s.sqlite").path
        let (events, _) = try await withLambdaFunction(handler: "api", store: store, standIn: standIn, in: directory) {
            [try await standIn.invoke(LambdaAPITests.v1("GET", "/openapi.json")).response,
             try await standIn.invoke(LambdaAPITests.v2("GET", "/openapi.json")).response]
        }
        await standIn.stop()
        var bodies = [fromServe.body]
        for event in events {
            let reply = try LambdaAPITests.json(event)
            #expect(reply["statusCode"] as? Int == 200, "\(reply)")
            let contentType = (reply["headers"] as? [String: String])?["Content-Type"]
                ?? (reply["multiValueHeaders"] as? [String: [String]])?["Content-Type"]?.first
            #expect(contentType == "application/json")
            bodies.append(Data((reply["body"] as? String ?? "").utf8))
        }
        let differences = try await openAPIDocumentDifferences(bodies)
        #expect(differences.isEmpty, "\(differences)")
    }
}
