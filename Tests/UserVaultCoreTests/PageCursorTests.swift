import Foundation
import Testing
import UserVaultCore

@Suite("Page cursors")
struct PageCursorTests {
    let codec = PageCursorCodec(secret: Data(repeating: 7, count: 32))

    @Test("a sealed cursor opens to what was sealed")
    func roundTrip() {
        let cursor = PageCursor(after: "5f0c3b8e-1f7e-4a51-9d1e-6f1c2d3e4f50", email: "ada@example.com")
        #expect(codec.open(codec.seal(cursor)) == cursor)
    }

    @Test("a changed character never opens to a different cursor")
    func tamperEvident() {
        let original = PageCursor(after: "5f0c3b8e-1f7e-4a51-9d1e-6f1c2d3e4f50")
        let token = codec.seal(original)
        var refused = 0
        for offset in 0..<token.count where Array(token)[offset] != "." {
            var chars = Array(token)
            chars[offset] = chars[offset] == "A" ? "B" : "A"
            switch codec.open(String(chars)) {
            case nil: refused += 1
            case let opened?: #expect(opened == original)  // only base64 padding bits changed
            }
        }
        #expect(refused >= token.count - 3)
    }

    @Test("cursors from another secret, and garbage, are refused", arguments: [
        "", ".", "abc", "abc.def", String(repeating: "A", count: 5000), "eyJhIjoieCJ9.AAAAAAAAAAAAAAAAAAAAAA",
    ])
    func refusesForeign(_ token: String) {
        #expect(codec.open(token) == nil)
    }

    @Test("a cursor sealed with another secret is refused")
    func otherSecret() {
        let other = PageCursorCodec(secret: Data(repeating: 8, count: 32))
        #expect(codec.open(other.seal(PageCursor(after: "x"))) == nil)
    }
}
