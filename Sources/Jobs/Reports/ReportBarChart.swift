/// `report.html`'s bar chart of findings by code, as SVG coordinates (whole pixels): one bar a
/// code, its open findings in the severity's colour, the accepted ones after them in grey.
struct ReportBarChart {
    struct Bar {
        var code: String
        var severity: String
        var open: Int
        var accepted: Int
        var y: Int
        var textY: Int
        /// The open findings' part, when there are any.
        var openPart: Part?
        /// The accepted findings' part, after it, when there are any.
        var acceptedPart: Part?
        var valueX: Int
        var valueText: String
    }

    struct Part {
        var x: Int
        var width: Int
    }

    static let width = 720
    static let labelWidth = 210
    static let barSpace = 380
    static let rowHeight = 26
    static let barHeight = 16

    var width = Self.width
    var height: Int
    var barHeight = Self.barHeight
    var bars: [Bar]

    /// `nil` when there is no finding at all.
    init?(open: [Finding], accepted: [Finding]) {
        let openCounts = Dictionary(grouping: open, by: \.code).mapValues(\.count)
        let acceptedCounts = Dictionary(grouping: accepted, by: \.code).mapValues(\.count)
        let codes = FindingCode.ordered.filter { openCounts[$0] != nil || acceptedCounts[$0] != nil }
        guard !codes.isEmpty else { return nil }
        let largest = codes.map { (openCounts[$0] ?? 0) + (acceptedCounts[$0] ?? 0) }.max() ?? 1
        // A bar of one finding among thousands still shows.
        let length = { (count: Int) in count == 0 ? 0 : max(2, count * Self.barSpace / largest) }
        bars = codes.enumerated().map { index, code in
            let (openCount, acceptedCount) = (openCounts[code] ?? 0, acceptedCounts[code] ?? 0)
            let y = 4 + index * Self.rowHeight
            let openWidth = length(openCount)
            let part = acceptedCount == 0 ? nil : Part(x: Self.labelWidth + openWidth, width: length(acceptedCount))
            return Bar(code: code.rawValue, severity: code.severity.rawValue, open: openCount, accepted: acceptedCount, y: y,
                       textY: y + Self.barHeight - 3, openPart: openCount == 0 ? nil : Part(x: Self.labelWidth, width: openWidth),
                       acceptedPart: part, valueX: Self.labelWidth + openWidth + (part?.width ?? 0) + 6,
                       valueText: acceptedCount == 0 ? "\(openCount)" : "\(openCount) + \(acceptedCount) accepted")
        }
        height = 8 + codes.count * Self.rowHeight
    }
}
