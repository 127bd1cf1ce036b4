import ArchiveIO
import Crypto
import Foundation
import Jobs
import UserVaultCore

/// The export reader: ``ArchiveReader`` (libarchive: tar, tar.gz, tar.zst, zip, ...) and
/// ``ExportVerifier`` (`uservault verify-export`) on an archive someone hands over.
///
/// Input: one byte (bit 0: a `.sha256` file that matches lies beside the archive), then the
/// archive's bytes, written to a file in the workspace.
///
/// Checks: the reader throws only ``ArchiveError`` and hands over no entry above its size limit;
/// the verifier answers (it never throws) and counts no more files than the reader reads; an
/// archive beside its matching checksum file is not blamed for its checksum.
enum ExportArchiveHarness {
    static let target = FuzzTarget("export-archive", "export archives: ArchiveReader and verify-export", sync: check)

    static func check(_ input: [UInt8], _ workspace: FuzzWorkspace) throws {
        guard let choice = input.first else { return }
        let archive = Data(input.dropFirst())
        let path = workspace.directory.appendingPathComponent("export.tar.zst")
        let checksum = URL(fileURLWithPath: path.path + ".sha256")
        do {
            try archive.write(to: path)
            try? FileManager.default.removeItem(at: checksum)
            if choice & 1 == 1 {
                try Data((Hex.lowercase(SHA256.hash(data: archive)) + "  export.tar.zst\n").utf8).write(to: checksum)
            }
        } catch {
            throw InvariantViolation("the workspace cannot hold the archive: \(error)")
        }
        var entries = 0
        do {
            try ArchiveReader.forEachEntry(in: path.path) { _, contents in
                entries += 1
                guard contents.count <= ArchiveReader.maximumEntryBytes else {
                    throw InvariantViolation("an entry of \(contents.count) bytes, over the limit")
                }
            }
        } catch let violation as InvariantViolation {
            throw violation
        } catch is ArchiveError {
        } catch {
            throw InvariantViolation.untyped(error, expected: "ArchiveError")
        }
        let outcome = ExportVerifier.verify(archive: path.path)
        guard outcome.files <= entries || outcome.problems.contains(where: { $0.hasPrefix("cannot read the archive") }) else {
            throw InvariantViolation("verify-export counted \(outcome.files) parts, the reader read \(entries) entries")
        }
        if choice & 1 == 1, outcome.problems.contains(where: { $0.hasPrefix("the archive's SHA-256 does not match") }) {
            throw InvariantViolation("an archive beside its matching checksum was blamed for it")
        }
    }
}
