// The benchmark command: measures what the issues' speed sections name, in release builds.
// Never used by tests (no wall-clock thresholds there).
import EmbeddedStore
import Foundation
import UserVaultCore

@main
struct UserVaultBench {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.first == "scan", arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: uservault-bench scan STORE [SEGMENTS] [PAGE]\n".utf8))
            exit(2)
        }
        let store = try EmbeddedStore(path: arguments[1], configuration: .init(readOnly: true))
        let segments = arguments.count > 2 ? Int(arguments[2]) ?? 8 : 8
        let pageSize = arguments.count > 3 ? Int(arguments[3]) ?? 1000 : 1000
        let start = ContinuousClock.now
        let table = store.table
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for segment in 0..<segments {
                group.addTask {
                    var count = 0
                    var after: String?
                    repeat {
                        let page = try await table.scan(ScanRequest(
                            segment: segment, totalSegments: segments, startAfter: after, limit: pageSize, projection: .full))
                        count += page.items.count
                        after = page.lastEvaluatedId
                    } while after != nil
                    return count
                }
            }
            var sum = 0
            for try await count in group { sum += count }
            return sum
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "scan: %d users, %d segments, page %d: %.3f s, %.0f users/s",
                     total, segments, pageSize, seconds, Double(total) / seconds))
    }
}
