import Foundation

/// Why a point-in-time export could not be had, in one line that says what to do. Safe to log.
public struct PointInTimeExportError: Error, Sendable, CustomStringConvertible, Hashable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    /// The table has point-in-time recovery off: name the command that turns it on.
    static func recoveryOff(_ table: String) -> Self {
        .init("point-in-time recovery is off for table '\(table)': an export as of a time needs it; turn it on with "
              + "`aws dynamodb update-continuous-backups --table-name \(table) "
              + "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true`")
    }

    static func outsideWindow(_ asOf: Date, earliest: Date?, latest: Date?) -> Self {
        let window = [earliest.map { "from \(Self.format($0))" }, latest.map { "to \(Self.format($0))" }]
            .compactMap { $0 }.joined(separator: " ")
        return .init("\(Self.format(asOf)) is outside the table's point-in-time recovery window"
                     + (window.isEmpty ? "" : " (\(window))"))
    }

    static func rejected(_ detail: String) -> Self {
        .init("DynamoDB refused the export: \(detail)")
    }

    static func failed(_ arn: String, code: String?, message: String?) -> Self {
        .init("the export \(arn) FAILED: \(code ?? "no FailureCode")" + (message.map { ": \($0)" } ?? ""))
    }

    static func notDone(_ arn: String, status: String, waited: Duration) -> Self {
        .init("the export \(arn) is still \(status) after \(PointInTimeExports.format(waited)) (--wait): "
              + "resume from it with --from-export \(arn)")
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
