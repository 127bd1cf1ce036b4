import Foundation

/// The environment a child process built here (`uservault`, `uservault-bench`) needs so that
/// its coverage counts, when the tests run with `--enable-code-coverage`: empty otherwise.
///
/// SwiftPM sets `LLVM_PROFILE_FILE` for the test process only (`<bin>/codecov/Swift Testing%m.%p.profraw`),
/// and the children get environments of their own, so without this every line that only the
/// CLI, `serve` or the Lambda bootstrap runs would count as never run. A child writes
/// `<bin>/codecov/children/%p-%m.profraw`: one file a process (`%p`), merged into
/// rather than overwritten when a process id comes round again (`%m`; pids wrap at 32,768
/// here), in a folder of its own so that SwiftPM's merge of `codecov/*.profraw` never reads a
/// file that a child killed while writing it left short (`scripts/coverage.py` merges the
/// children's files and skips such a file with a warning). SwiftPM empties `codecov/` before
/// each run.
public let childCoverageEnvironment: [String: String] = {
    guard let parent = ProcessInfo.processInfo.environment["LLVM_PROFILE_FILE"], !parent.isEmpty else { return [:] }
    let folder = URL(fileURLWithPath: parent).deletingLastPathComponent().appendingPathComponent("children")
    return ["LLVM_PROFILE_FILE": folder.appendingPathComponent("%p-%m.profraw").path]
}()
