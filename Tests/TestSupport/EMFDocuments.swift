import Foundation

/// One CloudWatch Embedded Metric Format line of a job's output, and its check against the
/// specification's required fields
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>).
public struct EMFDocument: @unchecked Sendable {
    public var object: [String: Any]

    /// The lines of `output` that are JSON objects with an `_aws` member (other lines are ignored:
    /// log lines, a summary).
    public static func all(in output: String) -> [EMFDocument] {
        output.split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  object["_aws"] != nil else { return nil }
            return EMFDocument(object: object)
        }
    }

    /// The directives' metric names, in order.
    public var metricNames: [String] { directives.flatMap { ($0["Metrics"] as? [[String: Any]] ?? []).compactMap { $0["Name"] as? String } } }
    /// The directives' dimension sets.
    public var dimensionSets: [[String]] { directives.flatMap { $0["Dimensions"] as? [[String]] ?? [] } }
    public func number(_ name: String) -> Double? { (object[name] as? NSNumber)?.doubleValue }
    public func string(_ name: String) -> String? { object[name] as? String }

    private var directives: [[String: Any]] {
        ((object["_aws"] as? [String: Any])?["CloudWatchMetrics"] as? [[String: Any]]) ?? []
    }

    /// What the specification requires that the line lacks: `_aws.Timestamp` (a whole number of
    /// milliseconds), `_aws.CloudWatchMetrics` (directives each with a `Namespace`, `Dimensions`
    /// (arrays of at most 30 names, each a string member) and `Metrics` (at most 100, each with a
    /// `Name` that is a member holding a number or an array of numbers, a valid `Unit` if any)).
    public var problems: [String] {
        var problems: [String] = []
        guard let aws = object["_aws"] as? [String: Any] else { return ["_aws is not an object"] }
        let timestamp = (aws["Timestamp"] as? NSNumber)?.doubleValue
        if timestamp == nil || timestamp != timestamp?.rounded() {
            problems.append("_aws.Timestamp is not a number of milliseconds")
        }
        guard let list = aws["CloudWatchMetrics"] as? [[String: Any]], !list.isEmpty else {
            return problems + ["_aws.CloudWatchMetrics is not an array of directives"]
        }
        for directive in list {
            if (directive["Namespace"] as? String)?.isEmpty != false { problems.append("a directive has no Namespace") }
            guard let sets = directive["Dimensions"] as? [[String]] else { problems.append("Dimensions is not an array of arrays of names"); continue }
            for set in sets {
                if set.count > 30 { problems.append("a dimension set of more than 30 dimensions") }
                for name in set where !(object[name] is String) { problems.append("dimension \(name) is not a string member") }
            }
            guard let metrics = directive["Metrics"] as? [[String: Any]] else { problems.append("Metrics is not an array"); continue }
            if metrics.count > 100 { problems.append("more than 100 metrics in a directive") }
            for metric in metrics {
                guard let name = metric["Name"] as? String else { problems.append("a metric without a Name"); continue }
                let value = object[name]
                let numeric = value is NSNumber || ((value as? [Any])?.allSatisfy { $0 is NSNumber } ?? false)
                if !numeric { problems.append("metric \(name) is not a member holding a number") }
                if let unit = metric["Unit"], !Self.units.contains(unit as? String ?? "") { problems.append("metric \(name): unit \(unit)") }
            }
        }
        return problems
    }

    /// CloudWatch's units (MetricDatum.Unit).
    static let units: Set<String> = [
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
        "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
        "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
        "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    ]
}
