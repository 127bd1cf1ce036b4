import Foundation

/// The samples of a Prometheus text exposition (format 0.0.4), parsed strictly enough to fail a
/// test on a malformed line: `# HELP`/`# TYPE` comments, then `name{label="value",...} number`.
public struct PrometheusSample: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double

    /// The samples of `text`; throws on a line that is neither a comment nor a sample.
    public static func parse(_ text: String) throws -> [PrometheusSample] {
        var samples: [PrometheusSample] = []
        let pattern = try NSRegularExpression(pattern: #"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([-+0-9.eE]+|NaN|[+-]Inf)$"#)
        let labelPattern = try NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?"#)
        for line in text.split(separator: "\n").map(String.init) where !line.isEmpty && !line.hasPrefix("#") {
            let range = NSRange(line.startIndex..., in: line)
            guard let match = pattern.firstMatch(in: line, range: range),
                  let name = Range(match.range(at: 1), in: line).map({ String(line[$0]) }),
                  let value = Range(match.range(at: 4), in: line).flatMap({ Double(line[$0]) })
            else { throw LoopbackError(description: "not a Prometheus sample line: \(line)") }
            var labels: [String: String] = [:]
            if let body = Range(match.range(at: 3), in: line).map({ String(line[$0]) }) {
                let bodyRange = NSRange(body.startIndex..., in: body)
                var covered = 0
                for label in labelPattern.matches(in: body, range: bodyRange) {
                    guard let key = Range(label.range(at: 1), in: body), let text = Range(label.range(at: 2), in: body) else { continue }
                    labels[String(body[key])] = String(body[text])
                    covered += label.range.length
                }
                guard covered == bodyRange.length else { throw LoopbackError(description: "malformed labels: \(line)") }
            }
            samples.append(PrometheusSample(name: name, labels: labels, value: value))
        }
        return samples
    }
}

extension Array where Element == PrometheusSample {
    /// The value of the sample `name` with exactly `labels`, if any.
    public func value(_ name: String, _ labels: [String: String]) -> Double? {
        first { $0.name == name && $0.labels == labels }?.value
    }
}
