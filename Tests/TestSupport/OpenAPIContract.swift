import Foundation

/// `openapi.yaml`, the API's contract, at the repository root.
public let openAPISpecURL = repositoryRoot.appendingPathComponent("openapi.yaml")

/// The contract's test tools: `openapi_contract.py`, `schemathesis.toml`, `schemathesis_hooks.py`.
let openAPIToolsFolder = repositoryRoot.appendingPathComponent("Tests/Conformance/openapi")

/// Why a contract check could not run at all (a missing tool), as opposed to failing.
public struct OpenAPIToolError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs `openapi_contract.py ARGUMENTS`: its `FAIL …` lines (empty when the check holds) and its stdout.
private func runOpenAPIContract(_ arguments: [String]) async throws -> (failures: [String], stdout: String) {
    let script = openAPIToolsFolder.appendingPathComponent("openapi_contract.py")
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path] + arguments)
    let stdout = String(decoding: result.stdout, as: UTF8.self)
    let failures = stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("FAIL ") }
    // 1 means the check failed and said why; anything else without a FAIL line is a broken tool.
    guard result.status == 0 || (result.status == 1 && !failures.isEmpty) else {
        throw OpenAPIToolError(description:
            "openapi_contract.py \(arguments.first ?? "") exited with \(result.status): \(String(decoding: result.stderr, as: UTF8.self))")
    }
    return (failures, stdout)
}

/// What `openapi-spec-validator` finds wrong with `openapi.yaml`: empty when it accepts it.
public func openAPISpecProblems() async throws -> [String] {
    try await runOpenAPIContract(["validate", openAPISpecURL.path]).failures
}

/// For each body (of a `GET /openapi.json`), a `FAIL` line unless it is `openapi.yaml` as JSON.
public func openAPIDocumentDifferences(_ bodies: [Data]) async throws -> [String] {
    let directory = try makeTemporaryDirectory("openapi-served")
    defer { try? FileManager.default.removeItem(at: directory) }
    var paths: [String] = []
    for (index, body) in bodies.enumerated() {
        let file = directory.appendingPathComponent("served-\(index).json")
        try body.write(to: file)
        paths.append(file.path)
    }
    return try await runOpenAPIContract(["same", openAPISpecURL.path] + paths).failures
}

/// The response examples of `openapi.yaml`: those that do not match their own schema, and the
/// JSON:API ones (`where` names the operation, status and example).
public func openAPIResponseExamples() async throws -> (failures: [String], jsonAPI: [(where: String, document: Data)]) {
    let (failures, stdout) = try await runOpenAPIContract(["examples", openAPISpecURL.path])
    let last = stdout.split(separator: "\n").last.map(String.init) ?? ""
    guard let list = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [[String: Any]] else {
        throw OpenAPIToolError(description: "openapi_contract.py examples printed no list: \(stdout.suffix(300))")
    }
    let documents = try list.map { item in
        (where: item["where"] as? String ?? "?", document: try JSONSerialization.data(withJSONObject: item["value"] ?? NSNull()))
    }
    return (failures, documents)
}

/// Runs schemathesis (`python3 -m schemathesis.cli run`) with every check against the API at
/// `http://127.0.0.1:PORT`, with `schemathesis.toml` and the hooks beside `openapi_contract.py`:
/// at most `maxExamples` cases per operation and phase, from `seed` (a run is reproducible), no
/// example database. Runs in a temporary folder; returns its exit status and output.
public func runSchemathesis(port: Int, seed: Int, maxExamples: Int) async throws -> (status: Int32, output: String) {
    let directory = try makeTemporaryDirectory("schemathesis")
    defer { try? FileManager.default.removeItem(at: directory) }
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONPATH"] = ([openAPIToolsFolder.path] + [environment["PYTHONPATH"]].compactMap { $0 })
        .joined(separator: ":")
    environment["SCHEMATHESIS_HOOKS"] = "schemathesis_hooks"
    let arguments = [
        "python3", "-m", "schemathesis.cli", "--no-color",
        "--config-file", openAPIToolsFolder.appendingPathComponent("schemathesis.toml").path,
        "run", openAPISpecURL.path, "--url", "http://127.0.0.1:\(port)",
        "--checks", "all", "--seed", String(seed), "--max-examples", String(maxExamples),
        "--workers", "1", "--generation-database", "none",
    ]
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments, environment: environment,
                                           in: directory)
    return (result.status, String(decoding: result.stdout + result.stderr, as: UTF8.self))
}
