import Foundation

/// The environment a child process built here (`uservault`, `uservault-bench`) needs so that
/// its coverage counts, when the tests run with `--enable-code-coverage`: empty otherwise.
///
/// SwiftPM sets `LLVM_PROFILE_FILE` for the test process only (`<bin>/codecov/Swift Testing%m.%p.profraw`),
/// and the children get environments of their own, so without this every line that only the
/// CLI, `serve` or the Lambda bootstrap runs would count as never run. Each child (each read of
/// this value) gets a file of its own, `<bin>/codecov/children/<UUID>-%p.profraw` (`%p` for any
/// process it starts in turn), in a folder of its own so that SwiftPM's merge of
/// `codecov/*.profraw` never reads it. Nothing is merged into an existing file: a child killed
/// while it writes its profile at exit (a test's SIGKILL after its last line) leaves one short
/// file, which `scripts/coverage.py` skips with a warning, and loses nobody else's counts (a
/// shared `%m` pool, as before, lost every earlier child of that pid with it). SwiftPM empties
/// `codecov/` before each run.
public var childCoverageEnvironment: [String: String] {
    guard let parent = ProcessInfo.processInfo.environment["LLVM_PROFILE_FILE"], !parent.isEmpty else { return [:] }
    let folder = URL(fileURLWithPath: parent).deletingLastPathComponent().appendingPathComponent("children")
    return ["LLVM_PROFILE_FILE": folder.appendingPathComponent("\(UUID().uuidString)-%p.profraw").path]
}
