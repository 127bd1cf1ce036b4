import AWSClients
import Foundation
import Testing
import TestSupport

/// The binary as a Lambda function (`_HANDLER=api`), against the Runtime API stand-in: API
/// Gateway REST (1.0) and HTTP API (2.0) events through the same handlers as `uservault serve`.
@Suite("uservault on Lambda: API Gateway events")
struct LambdaAPITests {
    static func json(_ data: Data?) throws -> [String: Any] {
        let data = try #require(data)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func v1(_ method: String, _ path: String, query: [String: String]? = nil, body: String? = nil) -> Data {
        var event: [String: Any] = [
            "resource": "/{proxy+}", "path": path, "httpMethod": method, "isBase64Encoded": false,
            "multiValueHeaders": ["Accept": ["application/vnd.api+json"], "Content-Type": ["application/vnd.api+json"]],
            "requestContext": ["stage": "prod", "requestId": "r1", "httpMethod": method, "path": "/prod" + path],
        ]
        if let query { event["queryStringParameters"] = query }
        if let body { event["body"] = body }
        return try! JSONSerialization.data(withJSONObject: event)
    }

    static func v2(_ method: String, _ rawPath: String, rawQuery: String = "", body: String? = nil, base64: Bool = false) -> Data {
        var event: [String: Any] = [
            "version": "2.0", "routeKey": "$default", "rawPath": rawPath, "rawQueryString": rawQuery,
            "headers": ["accept": "application/vnd.api+json", "content-type": "application/vnd.api+json"],
            "requestContext": ["http": ["method": method, "path": rawPath, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"],
                               "requestId": "r2", "stage": "$default"],
            "isBase64Encoded": base64,
        ]
        if let body { event["body"] = base64 ? Data(body.utf8).base64EncodedString() : body }
        return try! JSONSerialization.data(withJSONObject: event)
    }

    @Test("v1 POST 201, v1 GET 200, v2 GET page[size]=5, v2 malformed JSON 400, a non-API event an error and the loop goes on")
    func apiEvents() async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "12", "--log-level", "warning"], in: directory).exitCode == 0)
        let store = directory.appendingPathComponent(".uservault/store.sqlite").path
        let standIn = try await LambdaRuntimeStandIn.start()
        let password = "correct horse battery staple 42"
        let (bodies, logs) = try await withLambdaFunction(handler: "api", store: store, standIn: standIn, in: directory) {
            var bodies: [Data] = []
            let create = #"{"data":{"type":"users","attributes":{"firstname":"Ada","lastname":"Lovelace","email":"ada@example.com","username":"ada","credentials":"\#(password)"}}}"#
            let created = try Self.json(try await standIn.invoke(Self.v1("POST", "/users", body: create)).response)
            #expect(created["statusCode"] as? Int == 201)
            let location = ((created["multiValueHeaders"] as? [String: [String]])?["Location"]?.first) ?? ""
            #expect(location.hasPrefix("/users/"), "\(created)")
            bodies.append(Data((created["body"] as? String ?? "").utf8))

            let fetched = try Self.json(try await standIn.invoke(Self.v1("GET", location)).response)
            #expect(fetched["statusCode"] as? Int == 200)
            bodies.append(Data((fetched["body"] as? String ?? "").utf8))

            let listed = try Self.json(try await standIn.invoke(Self.v2("GET", "/users", rawQuery: "page%5Bsize%5D=5")).response)
            #expect(listed["statusCode"] as? Int == 200)
            let listBody = Data((listed["body"] as? String ?? "").utf8)
            let users = try Self.json(listBody)["data"] as? [[String: Any]] ?? []
            #expect((1...5).contains(users.count), "\(users.count) users on a page of 5")
            #expect((listed["headers"] as? [String: String])?["Content-Type"]?.contains("application/vnd.api+json") == true)
            bodies.append(listBody)

            let v1Page = try Self.json(try await standIn.invoke(Self.v1("GET", "/users", query: ["page[size]": "3"])).response)
            #expect((try Self.json(Data((v1Page["body"] as? String ?? "").utf8))["data"] as? [Any])?.count == 3)

            let malformed = try Self.json(try await standIn.invoke(Self.v2("POST", "/users", body: "{not json", base64: true)).response)
            #expect(malformed["statusCode"] as? Int == 400)
            bodies.append(Data((malformed["body"] as? String ?? "").utf8))

            let scheduled = try await standIn.invoke(Data(#"{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}"#.utf8))
            #expect(scheduled.errorType == "InvalidEvent")
            let again = try Self.json(try await standIn.invoke(Self.v2("GET", "/users", rawQuery: "page%5Bsize%5D=1")).response)
            #expect(again["statusCode"] as? Int == 200, "the next event is still served")
            return bodies
        }
        await standIn.stop()
        #expect(try await validateJSONAPIDocuments(bodies).isEmpty)
        let everything = bodies.map { String(decoding: $0, as: UTF8.self) }.joined() + logs
        #expect(!everything.contains(password) && !everything.contains("\"credentials\""))
        // CloudWatch: JSON log lines carrying the request id.
        #expect(logs.split(separator: "\n").contains { $0.hasPrefix("{") && $0.contains("requestId") }, "\(logs)")
    }

    @Test("an unknown _HANDLER is an init error")
    func unknownHandler() async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-init")
        defer { try? FileManager.default.removeItem(at: directory) }
        let standIn = try await LambdaRuntimeStandIn.start()
        let process = SpawnedProcess()
        process.executableURL = userVaultBinary
        process.environment = childEnvironment(["AWS_LAMBDA_RUNTIME_API": standIn.address, "_HANDLER": "bogus",
                                                "USERVAULT_BACKEND": "local",
                                                "USERVAULT_STORE": directory.appendingPathComponent("s.sqlite").path])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(standIn.initError?.type == "Runtime.UnknownHandler")
        await standIn.stop()
    }

    @Test("SIGTERM, Lambda's shutdown signal, ends the function normally: exit 0 and a line saying so")
    func shutdown() async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-shutdown")
        defer { try? FileManager.default.removeItem(at: directory) }
        let standIn = try await LambdaRuntimeStandIn.start()
        let output = directory.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = SpawnedProcess()
        process.executableURL = userVaultBinary
        process.environment = childEnvironment(["AWS_LAMBDA_RUNTIME_API": standIn.address, "_HANDLER": "api",
                                                "USERVAULT_BACKEND": "local",
                                                "USERVAULT_STORE": directory.appendingPathComponent("s.sqlite").path])
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        func written() -> String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        // Ready once it serves (the SIGTERM handler is in place before that line).
        for _ in 0..<1200.scaledForTestRun where !written().contains("serving API Gateway events") && process.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(written().contains("serving API Gateway events"), "\(written())")
        process.terminate()
        for _ in 0..<1200.scaledForTestRun where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(process.terminationReason) \(written())")
        #expect(written().contains("SIGTERM: the function is shutting down"), "\(written())")
        await standIn.stop()
    }
}
