import Foundation

/// What `Fixtures/read_export.py` (Python's tarfile / zipfile) found in an export archive.
public struct ExportListing: Decodable, Sendable {
    public var members: [String]
    /// Entry permission bits, as Python writes them (`"0o600"`).
    public var modes: [String]
    public var users: Int
    public var unique: Int
    public var attributes: [String]
    public var resourceKeys: [String]
    /// SHA-256 of every user resource, sorted by id: equal for two archives of the same users,
    /// however their parts split them.
    public var resourcesDigest: String
}

/// Reads `archive` with Python's standard library and extracts its members into `directory`.
public func readExportWithPython(_ archive: URL, into directory: URL) async throws -> ExportListing {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/read_export.py")
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, archive.path, directory.path])
    guard result.status == 0 else {
        throw LoopbackError(description: "read_export.py: \(String(decoding: result.stderr, as: UTF8.self))")
    }
    return try JSONDecoder().decode(ExportListing.self, from: result.stdout)
}

/// Runs `uservault` and reports its peak resident set size (KiB), measured by the kernel for
/// the child (`getrusage(RUSAGE_CHILDREN)` in a Python parent).
public func runUserVaultMeasuringRSS(_ arguments: [String], in directory: URL) async throws -> (result: CLIResult, maxRSSKiB: Int) {
    let measure = """
        import resource, subprocess, sys
        code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sys.stderr.buffer.write(code.stderr)
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        sys.exit(code.returncode)
        """
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                           ["python3", "-c", measure, userVaultBinary.path] + arguments,
                                           environment: baseEnvironment([:]), in: directory)
    let rss = Int(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    return (CLIResult(exitCode: result.status, stdout: "", stderr: String(decoding: result.stderr, as: UTF8.self)), rss)
}
