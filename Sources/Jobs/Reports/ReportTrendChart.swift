/// `report.html`'s trend, as SVG coordinates (whole pixels): the open findings and the new ones
/// of the last runs, oldest first, on a scale from 0 to a multiple of 4 (integer grid lines).
struct ReportTrendChart {
    struct Point {
        var x: Int
        var y: Int
        /// `nil` when the trend draws no new findings.
        var newY: Int?
        /// `complete` or `partial` (a hollow dot: only this run's can be, earlier runs are complete).
        var kind: String
        var tooltip: String
    }

    struct Tick {
        var y: Int
        var textY: Int
        var value: Int
    }

    struct Label {
        var x: Int
        var anchor: String
        var text: String
    }

    static let width = 720
    static let height = 230
    static let left = 52
    static let right = 700
    static let top = 14
    static let bottom = 190

    var width = Self.width
    var height = Self.height
    var left = Self.left
    var right = Self.right
    var bottom = Self.bottom
    var labelY = Self.bottom + 20
    var runCount: Int
    var points: [Point]
    var findingsLine: String
    /// `nil` when no run of the trend was compared with an earlier one: there is nothing to draw.
    var newLine: String?
    var ticks: [Tick]
    var labels: [Label]

    /// - Parameters:
    ///   - runs: oldest first; at least one (the report's own run).
    ///   - showsNew: whether to draw the new findings (some run was compared with an earlier one).
    init(runs: [ReportHistory.Entry], showsNew: Bool) {
        let largest = runs.map { max($0.findings, $0.newFindings) }.max() ?? 0
        let scale = max(4, (largest + 3) / 4 * 4)
        let span = Self.right - Self.left
        let x = { (index: Int) in runs.count == 1 ? Self.left + span / 2 : Self.left + index * span / (runs.count - 1) }
        let y = { (value: Int) in Self.bottom - value * (Self.bottom - Self.top) / scale }
        runCount = runs.count
        points = runs.enumerated().map { index, run in
            Point(x: x(index), y: y(run.findings), newY: showsNew ? y(run.newFindings) : nil, kind: run.complete ? "complete" : "partial",
                  tooltip: "\(run.finishedAt): \(run.findings) findings" + (showsNew ? ", \(run.newFindings) new" : "")
                      + (run.complete ? "" : " (incomplete run)") + " — run \(run.runId)")
        }
        findingsLine = points.map { "\($0.x),\($0.y)" }.joined(separator: " ")
        newLine = showsNew ? points.map { "\($0.x),\($0.newY ?? 0)" }.joined(separator: " ") : nil
        ticks = (0...4).map { step in
            let value = scale * step / 4
            return Tick(y: y(value), textY: y(value) + 4, value: value)
        }
        // The first and last runs' dates, and the middle one's when there is room.
        var shown = [0]
        if runs.count > 2 { shown.append((runs.count - 1) / 2) }
        if runs.count > 1 { shown.append(runs.count - 1) }
        labels = shown.map { index in
            Label(x: x(index), anchor: runs.count == 1 ? "middle" : index == 0 ? "start" : index == runs.count - 1 ? "end" : "middle",
                  text: Self.shortTime(runs[index].finishedAt))
        }
    }

    /// `2026-12-06T20:31:27.123Z` → `2026-12-06 20:31`.
    static func shortTime(_ timestamp: String) -> String {
        let characters = Array(timestamp)
        guard characters.count >= 16 else { return timestamp }
        return String(characters[0..<10]) + " " + String(characters[11..<16])
    }
}
