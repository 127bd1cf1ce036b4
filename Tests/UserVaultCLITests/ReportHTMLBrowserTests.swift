import EmbeddedStore
import Foundation
import Testing
import TestSupport
import UserVaultCore

/// The demo's `report.html` in a real browser (Debian's headless Chromium, `Fixtures/render_page.py`):
/// the tiles read off the rendered DOM equal `report.json`, the page makes no request and logs
/// nothing (its own Content-Security-Policy would report anything it tried), and the next run's
/// page draws the trend and shows markup planted in the table as text.
@Suite("the demo's report.html in headless Chromium")
struct ReportHTMLBrowserTests {
    static let hostileId = #"<script>alert("uv")</script>"#
    static let hostileOwner = #""><img src=x onerror=alert(1)>"#

    /// Renders a report folder's page; expects what every report page must be.
    static func render(_ report: ReportFile, runs: Int, in directory: URL) async throws -> BrowserPage {
        let screenshot = directory.appendingPathComponent("report-\(runs).png")
        let page = try await renderInChromium(report.folder.appendingPathComponent("report.html"), screenshot: screenshot)
        #expect(page.tiles.compactMapValues { $0 } == report.expectedTiles)
        #expect(page.requests.isEmpty, "the page made requests: \(page.requests)")
        #expect(page.console.isEmpty, "the browser logged: \(page.console)")
        #expect(page.styleApplied, "the style block was refused: its hash is not the one in the policy")
        #expect(page.elements.script == 0 && page.elements.img == 0 && page.elements.iframe == 0 && page.elements.onHandlers == 0)
        let open = report.findings.filter { $0["suppressed"] == nil }
        #expect(page.svg.bars == Set(open.compactMap { $0["code"] as? String }).count, "one bar per code")
        #expect(page.svg.dots == runs, "one dot per run in the trend")
        #expect(page.text.contains(report.object["runId"] as? String ?? "?"))
        let png = try Data(contentsOf: screenshot)
        let size = try #require(pngSize(png))
        #expect(size.width == page.screenshot.width && size.height == page.screenshot.height)
        Attachment.record(png, named: "demo-report-\(runs).png")
        return page
    }

    @Test("the demo's report: tiles equal report.json, no request, no console message; the next audit's page draws two runs and shows planted markup as text")
    func demoReport() async throws {
        let directory = try makeTemporaryDirectory("uservault-report-html")
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try await runUserVault(["demo", "--users", "200", "--defects", "12", "--log-level", "warning"], in: directory)
        #expect(demo.exitCode == 0, "\(demo.stderr)")
        let first = try latestReport(in: directory.appendingPathComponent("reports"))
        #expect(first.findings.count >= 12 && first.int("users") == 200)
        let firstPage = try await Self.render(first, runs: 1, in: directory)
        #expect(firstPage.text.contains("complete"))

        // A legacy item whose id is markup, and a key tagged for an owner whose name is markup
        // (an orphan key: its owner is in the finding's detail).
        do {
            let store = try EmbeddedStore(path: directory.appendingPathComponent(".uservault/store.sqlite").path)
            try await store.table.unconditionalPut(StoredItem(id: Self.hostileId, type: "users", firstname: "Legacy", lastname: "Item",
                                                              email: "legacy@example.com", username: "legacy"))
            _ = try await store.keys.createKey(description: "a key of nobody", tags: UserKeys.ownerTags(userId: Self.hostileOwner))
        }
        let audit = try await runUserVault(["audit", "--depth", "deep", "--progress", "never", "--log-level", "warning"], in: directory)
        #expect(audit.exitCode == 1, "\(audit.stderr)")
        let second = try latestReport(in: directory.appendingPathComponent("reports"))
        #expect(second.object["runId"] as? String != first.object["runId"] as? String)
        #expect(second.flaggedUsers.isSuperset(of: [Self.hostileId, Self.hostileOwner]))
        let page = try await Self.render(second, runs: 2, in: directory)
        #expect(page.text.contains(Self.hostileId) && page.text.contains(Self.hostileOwner), "markup from the table shows as text")
    }
}
