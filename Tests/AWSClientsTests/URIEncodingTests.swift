@testable import AWSClients
import AWSSigning
import Testing

/// The AWS layer's one percent-encoder (SigV4's `UriEncode`, also used for S3 paths and query
/// values and STS form bodies) on inputs where encoders commonly differ. The expected outputs
/// are those of the three encoders it replaced, which all agreed on them.
@Suite("RFC 3986 encoding in the AWS layer")
struct URIEncodingTests {
    /// An input, its encoding, and its encoding with `/` kept.
    static let cases: [(text: String, encoded: String, keepingSlash: String)] = [
        ("", "", ""),
        ("a b", "a%20b", "a%20b"),
        ("a/b", "a%2Fb", "a/b"),
        ("//x//", "%2F%2Fx%2F%2F", "//x//"),
        ("~user", "~user", "~user"),
        ("A-z_0.9~", "A-z_0.9~", "A-z_0.9~"),
        ("a+b", "a%2Bb", "a%2Bb"),
        ("a*b", "a%2Ab", "a%2Ab"),
        ("100%", "100%25", "100%25"),
        ("%2F", "%252F", "%252F"),
        ("résumé", "r%C3%A9sum%C3%A9", "r%C3%A9sum%C3%A9"),
        ("e\u{301}", "e%CC%81", "e%CC%81"),
        ("日本/😀", "%E6%97%A5%E6%9C%AC%2F%F0%9F%98%80", "%E6%97%A5%E6%9C%AC/%F0%9F%98%80"),
        ("q?x#y&z=1", "q%3Fx%23y%26z%3D1", "q%3Fx%23y%26z%3D1"),
        ("!'()[]:@,;$", "%21%27%28%29%5B%5D%3A%40%2C%3B%24", "%21%27%28%29%5B%5D%3A%40%2C%3B%24"),
        ("tab\tline\n", "tab%09line%0A", "tab%09line%0A"),
    ]

    @Test("one encoder: what SigV4's, S3's and the Query form encoding gave", arguments: cases)
    func sameOutput(text: String, encoded: String, keepingSlash: String) {
        #expect(URIEncoding.encode(text) == encoded)
        #expect(URIEncoding.encode(text, keepingSlash: true) == keepingSlash)
        #expect(S3URI.path(bucket: text, key: text) == "/" + encoded + "/" + keepingSlash)
    }
}
