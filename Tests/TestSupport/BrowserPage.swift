import Foundation

/// What headless Chromium saw of a local page (`Fixtures/render_page.py`, the DevTools protocol
/// on a pipe): the rendered DOM's tiles and text, what the page requested, what it logged.
public struct BrowserPage: Sendable, Decodable {
    public struct Elements: Sendable, Decodable, Equatable {
        public var script: Int
        public var img: Int
        public var iframe: Int
        public var object: Int
        public var embed: Int
        public var link: Int
        public var form: Int
        public var style: Int
        /// Elements carrying an `on…` attribute.
        public var onHandlers: Int

        public init(script: Int, img: Int, iframe: Int, object: Int, embed: Int, link: Int, form: Int, style: Int, onHandlers: Int) {
            (self.script, self.img, self.iframe, self.object, self.embed) = (script, img, iframe, object, embed)
            (self.link, self.form, self.style, self.onHandlers) = (link, form, style, onHandlers)
        }
    }

    public struct Charts: Sendable, Decodable, Equatable {
        public var svg: Int
        /// The bar chart's bars of open findings (`svg rect.open`).
        public var bars: Int
        /// The trend's dots, one a run (`svg circle.dot.findings`).
        public var dots: Int
    }

    public struct Size: Sendable, Decodable, Equatable {
        public var width: Int
        public var height: Int
    }

    public var title: String
    /// `data-tile` → the text of its `.value`.
    public var tiles: [String: String?]
    /// The body's rendered text (`innerText`).
    public var text: String
    public var elements: Elements
    /// Whether the page's style block applied (blocked by its own CSP if its hash were wrong).
    public var styleApplied: Bool
    public var svg: Charts
    /// Every URL the page requested or tried to, its own file excepted.
    public var requests: [String]
    /// Console messages, exceptions, log entries and DevTools issues (CSP violations among them).
    public var console: [String]
    public var screenshot: Size
}

/// Opens `page` (a local HTML file) in headless Chromium, writes a full-page PNG to
/// `screenshot`, and returns what the browser saw.
/// - Throws: ``LoopbackError`` when Chromium is missing or could not render the page.
public func renderInChromium(_ page: URL, screenshot: URL) async throws -> BrowserPage {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/render_page.py")
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, page.path, screenshot.path])
    guard result.status == 0 else {
        throw LoopbackError(description: "render_page.py exited with \(result.status): \(String(decoding: result.stderr, as: UTF8.self))")
    }
    return try JSONDecoder().decode(BrowserPage.self, from: result.stdout)
}

/// The width and height of a PNG file (its IHDR chunk); `nil` when it is not a PNG.
public func pngSize(_ data: Data) -> (width: Int, height: Int)? {
    let bytes = [UInt8](data.prefix(24))
    guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], bytes[12..<16] == [0x49, 0x48, 0x44, 0x52]
    else { return nil }
    let integer = { (offset: Int) in bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (integer(16), integer(20))
}
