import Foundation
import Jobs
import Synchronization

/// What the last job run in this process produced — a report's location and counts, or an
/// export's archive — for callers that run commands in-process (the Lambda job handler returns
/// it as the invocation's result). The commands print the same for people.
final class RunRecord: Sendable {
    static let shared = RunRecord()

    /// The record as JSON (`[String: Any]` is not `Sendable`).
    private let last = Mutex<Data?>(nil)

    func record(_ object: [String: Any]) {
        let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        last.withLock { $0 = data }
    }

    /// The record since the last `take()`, and forgets it.
    func take() -> [String: Any]? {
        let data = last.withLock { data -> Data? in
            defer { data = nil }
            return data
        }
        return data.flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] }
    }
}

extension RunRecord {
    /// A job report's location and counts.
    func record(_ report: JobReport, location: String) {
        record([
            "report": location + "/report.json", "runId": report.runId, "complete": report.complete, "users": report.users,
            "verified": report.verified, "findings": report.findings.count, "summary": report.summary,
        ])
    }
}
