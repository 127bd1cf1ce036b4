import Foundation

extension OCSFFindings {
    /// One Detection Finding as a single JSON line, for a log subscription: a finding a re-proof
    /// opened (activity Create, status New), or one it `resolved` (activity Close, status
    /// Resolved), with the same `finding_info.uid` as the nightly audit's for that user and code.
    ///
    /// ```swift
    /// print(OCSFFindings.line(finding, backend: "aws", table: "users", runId: requestId, job: "stream", at: Date()))
    /// ```
    public static func line(_ finding: Finding, resolved: Bool = false, backend: String, table: String, runId: String,
                            job: String, at date: Date) -> String {
        let event = event(finding, backend: backend, table: table, runId: runId, job: job, at: JobReport.timestamp(date),
                          resolved: resolved)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // An Encodable of strings and numbers: encoding cannot fail.
        return String(decoding: (try? encoder.encode(event)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
