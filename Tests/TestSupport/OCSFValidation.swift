import Foundation

/// What `validate_ocsf.py` (Python, `py-ocsf-models` from PyPI) said of some OCSF event files.
public struct OCSFValidation: Sendable {
    /// Events read, over all the files.
    public var events: Int
    /// One line per problem (`FAIL <file> #<event>: …`); empty when every event validates.
    public var problems: [String]
}

/// Validates `findings.ocsf.json` files as OCSF Detection Findings with the models Prowler
/// publishes (`py-ocsf-models`), strictly: an attribute the model does not know is a problem.
/// - Throws: ``JSONAPISchemaError`` when Python or `py-ocsf-models` is missing.
public func validateOCSFFindings(_ files: [URL]) async throws -> OCSFValidation {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("validate_ocsf.py")
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path] + files.map(\.path))
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    guard result.status == 0 || result.status == 1,
          let last = lines.last(where: { $0.hasPrefix("OK ") }), let events = Int(last.split(separator: " ")[1])
    else {
        throw JSONAPISchemaError(description: "validate_ocsf.py exited with \(result.status): \(String(decoding: result.stderr, as: UTF8.self))")
    }
    return OCSFValidation(events: events, problems: lines.filter { $0.hasPrefix("FAIL ") })
}
