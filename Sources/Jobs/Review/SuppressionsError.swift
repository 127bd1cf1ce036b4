/// Why a suppressions file was refused, in one line that says where: `suppressions.yaml:7:5:
/// rule 'legacy-batch': reason is missing`. Nothing of the file is quoted beyond keys, codes and
/// rule ids.
public struct SuppressionsError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case unreadable, malformed, invalid
    }

    private let code: Code
    /// The file's path or `s3://` URI.
    public let source: String
    /// 1-based, where known.
    public let line: Int?
    public let column: Int?
    public let problem: String

    private init(_ code: Code, source: String, line: Int?, column: Int?, problem: String) {
        self.code = code
        self.source = source
        self.line = line
        self.column = column
        // One line, whatever the YAML library said.
        self.problem = problem.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// The file cannot be read (missing, not UTF-8, …).
    public static func unreadable(_ source: String, _ problem: String) -> Self {
        .init(.unreadable, source: source, line: nil, column: nil, problem: problem)
    }

    /// Not YAML: the parser's problem, at its line and column.
    public static func malformed(_ source: String, line: Int?, column: Int?, _ problem: String) -> Self {
        .init(.malformed, source: source, line: line, column: column, problem: "malformed YAML: " + problem)
    }

    /// YAML, but not a valid rule set.
    public static func invalid(_ source: String, line: Int? = nil, column: Int? = nil, _ problem: String) -> Self {
        .init(.invalid, source: source, line: line, column: column, problem: problem)
    }

    public var isMalformedYAML: Bool { code == .malformed }

    public var description: String {
        var place = source
        if let line { place += ":\(line)" + (column.map { ":\($0)" } ?? "") }
        return "\(place): \(problem)"
    }
}
