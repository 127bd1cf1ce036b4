import Foundation
import FuzzHarnesses
import Testing

/// The fuzz targets' committed inputs, replayed through their harnesses: the seed corpus
/// (`Fuzz/corpus/<target>/`) and every input that once broke one (`Fuzz/regressions/<target>/`,
/// each fixed since). A harness reports a crash as a crash, and a broken invariant or an
/// untyped error as this test's failure.
@Suite("Fuzz corpus and regressions")
struct CorpusReplayTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ folder: String, _ target: String) -> [URL] {
        let directory = fuzz.appendingPathComponent(folder).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test("every target has a seed corpus, and every corpus a target")
    func corpusFolders() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.fuzz.appendingPathComponent("corpus").path)
        #expect(Set(folders.filter { !$0.hasPrefix(".") }) == Set(FuzzTarget.all.map(\.name)))
        for target in FuzzTarget.all { #expect(!Self.inputs("corpus", target.name).isEmpty, "\(target.name)") }
    }

    @Test("the seed corpus and the regressions pass the harness", arguments: FuzzTarget.all.map(\.name))
    func replay(_ name: String) async throws {
        let target = try #require(FuzzTarget.named(name))
        let workspace = try FuzzWorkspace()
        defer { workspace.remove() }
        for file in Self.inputs("corpus", name) + Self.inputs("regressions", name) {
            let input = try [UInt8](Data(contentsOf: file))
            do {
                try await target.check(input, in: workspace)
            } catch {
                Issue.record("\(name) \(file.lastPathComponent): \(error)")
            }
        }
    }
}
