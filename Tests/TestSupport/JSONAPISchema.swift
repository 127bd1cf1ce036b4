import Foundation

/// The JSON:API 1.0 response schema, vendored unchanged in the repository (see its `SOURCE.md`)
/// and found from this file's location: `Tests/Conformance/jsonapi-1.0/schema.json`.
public let jsonAPISchemaURL: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // TestSupport
    .deletingLastPathComponent()  // Tests
    .appendingPathComponent("Conformance/jsonapi-1.0/schema.json")

/// Why the validator could not run at all (as opposed to documents failing it).
public struct JSONAPISchemaError: Error, CustomStringConvertible {
    public var description: String
}

/// Validates documents against the JSON:API 1.0 response schema with `validate_jsonapi.py`
/// (Python, `jsonschema-rs`), all in one Python run.
///
/// ```swift
/// let failures = try validateJSONAPIDocuments(bodies)
/// #expect(failures.isEmpty, "\(failures)")
/// ```
///
/// - Returns: one message per problem, `FAIL doc-0003.json: at /errors/0: …`, where the number
///   is the document's index in `documents`; empty when every document is valid.
/// - Throws: ``JSONAPISchemaError`` when Python, `jsonschema_rs` or the schema is missing.
public func validateJSONAPIDocuments(_ documents: [Data]) async throws -> [String] {
    try await validateJSONDocuments(documents, schema: jsonAPISchemaURL)
}

/// Validates documents against any JSON Schema (e.g. `reports/schema/report.schema.json`).
public func validateJSONDocuments(_ documents: [Data], schema: URL) async throws -> [String] {
    let jsonAPISchemaURL = schema
    guard FileManager.default.fileExists(atPath: jsonAPISchemaURL.path) else {
        throw JSONAPISchemaError(description: "schema not found at \(jsonAPISchemaURL.path)")
    }
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("jsonapi-documents-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (index, document) in documents.enumerated() {
        let name = "doc-" + String(repeating: "0", count: max(0, 4 - String(index).count)) + String(index) + ".json"
        try document.write(to: directory.appendingPathComponent(name))
    }

    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("validate_jsonapi.py")
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                           ["python3", script.path, jsonAPISchemaURL.path, directory.path])
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    switch result.status {
    case 0:
        return []
    case 1:
        return lines.filter { $0.hasPrefix("FAIL ") }
    default:
        throw JSONAPISchemaError(description:
            "validate_jsonapi.py exited with \(result.status): \(String(decoding: result.stderr, as: UTF8.self))")
    }
}

/// The project's own report schema, `reports/schema/report.schema.json`.
public let reportSchemaURL: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("reports/schema/report.schema.json")
