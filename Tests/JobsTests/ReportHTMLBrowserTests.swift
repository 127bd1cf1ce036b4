import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `report.html` in a real browser (Debian's headless Chromium, `Fixtures/render_page.py`): a
/// report with accepted findings, a delta and markup in its ids and texts, and a control page
/// that proves the checks see what a page should not do. The demo's page: UserVaultCLITests.
@Suite("report.html in headless Chromium (Jobs)")
struct ReportHTMLBrowserTests {
    @Test("headless Chromium: the tiles equal report.json, markup from the table is text, no request, no console message")
    func inChromium() async throws {
        let directory = try makeTemporaryDirectory("report-html-chromium")
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = try await ReportHTMLTests.auditReport()
        var earlier = base
        earlier.runId = "eeeeeeee-0000-4000-8000-000000000000"
        earlier.startedAt = "2026-01-01T02:00:00.000Z"
        earlier.finishedAt = "2026-01-01T02:30:00.000Z"
        try ReportWriter.write(earlier, to: directory)
        let report = ReportHTMLTests.reviewed(base)
        try ReportWriter.write(report, to: directory,
                               history: try await ReportHistory(store: LocalReportStore(directory: directory))
                                   .entries(limit: ReportHTML.trendLimit - 1) { ReportHTML.trendIncludes($0, of: report) })
        let written = try latestReport(in: directory)
        #expect(written.int("users") == report.users && written.findings.count == report.findings.count)
        let screenshot = directory.appendingPathComponent("report.png")
        let page = try await renderInChromium(written.folder.appendingPathComponent(ReportHTML.fileName), screenshot: screenshot)

        #expect(page.tiles.compactMapValues { $0 } == written.expectedTiles)
        #expect(written.expectedTiles["new"] == "2" && written.expectedTiles["accepted"] == "2")
        #expect(page.requests.isEmpty, "\(page.requests)")
        #expect(page.console.isEmpty, "\(page.console)")
        #expect(page.styleApplied, "the style block was refused: its hash is not the one in the policy")
        #expect(page.elements == .init(script: 0, img: 0, iframe: 0, object: 0, embed: 0, link: 1, form: 0, style: 1, onHandlers: 0))
        #expect(page.text.contains(ReportHTMLTests.hostileId) && page.text.contains(ReportHTMLTests.hostileDetail), "markup shows as text")
        #expect(page.text.contains("team-<i>iam</i>") && page.text.contains("legacy-<b>svc</b>"))
        #expect(page.svg.bars == Set(report.findings.filter { $0.suppressed == nil }.map(\.code)).count)
        #expect(page.svg.dots == 2, "this run and the earlier one")
        let png = try Data(contentsOf: screenshot)
        let size = try #require(pngSize(png))
        #expect(size.width == page.screenshot.width && size.height == page.screenshot.height && size.height > 900)
        Attachment.record(png, named: "report.png")
    }

    @Test("headless Chromium: the checks see a request, a console message, a refused style and an element a page should not have")
    func chromiumSeesViolations() async throws {
        let directory = try makeTemporaryDirectory("report-html-control")
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("control.html")
        try Data("""
            <!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'">
            <style>:root { --uv-style: loaded; }</style></head>
            <body><div data-tile="users"><div class="value">7</div></div><img src="http://127.0.0.1:9/x.png"></body></html>
            """.utf8).write(to: page)
        let seen = try await renderInChromium(page, screenshot: directory.appendingPathComponent("control.png"))
        #expect(seen.requests == ["http://127.0.0.1:9/x.png"])
        #expect(seen.console.contains { $0.contains("Content Security Policy") })
        #expect(!seen.styleApplied)
        #expect(seen.elements.img == 1 && seen.tiles["users"] == "7")
    }
}
