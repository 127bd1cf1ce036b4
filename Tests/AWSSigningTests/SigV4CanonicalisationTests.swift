import AWSSigning
import Foundation
import Testing

/// Canonicalisation rules beyond the vectors: path encoding per service, the Host header,
/// headers the signer owns or leaves unsigned, the payload line and the signing time.
@Suite("SigV4 canonicalisation")
struct SigV4CanonicalisationTests {
    static let signer = SigV4Signer(
        credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1",
        service: "service"
    )
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    /// The lines of the canonical request: method, URI, query, headers..., "", signed headers, payload hash.
    static func lines(_ signed: SigV4Signer.Signed) -> [Substring] {
        signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)
    }

    static func sign(
        _ url: String,
        headers: [(name: String, value: String)] = [(name: "Host", value: "example.amazonaws.com")],
        payload: SigV4Signer.Payload = .empty,
        date: Date = date,
        options: SigV4Signer.Options = .init()
    ) throws -> SigV4Signer.Signed {
        let url = try #require(URL(string: url))
        return signer.signHeaders(method: "GET", url: url, headers: headers, payload: payload, date: date, options: options)
    }

    @Test("every service but S3 encodes the wire path a second time, S3 once", arguments: [
        // (wire path, standard canonical URI, S3 canonical URI)
        ("/documents%20and%20settings/", "/documents%2520and%2520settings/", "/documents%20and%20settings/"),
        ("/a+b!c'd", "/a%2Bb%21c%27d", "/a%2Bb%21c%27d"),
        ("/key%2Fwith%2Fslashes", "/key%252Fwith%252Fslashes", "/key%2Fwith%2Fslashes"),
        ("/%7Etilde/%41", "/%257Etilde/%2541", "/~tilde/A"),
        ("/a/./b/../c//d/", "/a/c/d/", "/a/./b/../c//d/"),
        ("", "/", "/"),
    ])
    func pathEncoding(wirePath: String, standard: String, s3: String) throws {
        let url = "https://example.amazonaws.com" + wirePath
        #expect(Self.lines(try Self.sign(url))[1] == standard)
        #expect(Self.lines(try Self.sign(url, options: .s3))[1] == s3)
    }

    @Test("with normalizePath but not doubleEncodePath, each segment is encoded once")
    func singleEncodingWithNormalisation() throws {
        let options = SigV4Signer.Options(normalizePath: true, doubleEncodePath: false)
        let signed = try Self.sign("https://example.amazonaws.com//a%20b/./c/../%E1%88%B4", options: options)
        #expect(Self.lines(signed)[1] == "/a%20b/%E1%88%B4")
    }

    @Test("the canonical query decodes, re-encodes and sorts by name then value")
    func queryCanonicalisation() throws {
        let signed = try Self.sign("https://example.amazonaws.com/?b=2&a=z&a=y&c&%7Ed=%2a&e=a+b&=v")
        #expect(Self.lines(signed)[2] == "=v&a=y&a=z&b=2&c=&e=a%2Bb&~d=%2A")
    }

    @Test("a Host header is made from the URL when the caller gives none", arguments: [
        ("https://example.amazonaws.com/", "example.amazonaws.com"),
        ("https://example.amazonaws.com:443/", "example.amazonaws.com"),
        ("http://localhost:4566/", "localhost:4566"),
        ("https://example.amazonaws.com:8443/x", "example.amazonaws.com:8443"),
    ])
    func hostFromURL(url: String, host: String) throws {
        let signed = try Self.sign(url, headers: [])
        #expect(signed.headers.first { $0.name == "Host" }?.value == host)
        #expect(Self.lines(signed).contains("host:\(host)"[...]))
        #expect(Self.lines(signed).dropLast().last == "host;x-amz-date")
    }

    @Test("the caller's Authorization and X-Amz-Date are replaced, not duplicated")
    func signerOwnedHeaders() throws {
        let signed = try Self.sign("https://example.amazonaws.com/", headers: [
            (name: "Host", value: "example.amazonaws.com"),
            (name: "authorization", value: "stale"),
            (name: "X-Amz-Date", value: "19700101T000000Z"),
        ])
        #expect(signed.headers.map(\.name) == ["Host", "X-Amz-Date", "Authorization"])
        #expect(signed.headers[1].value == "20150830T123600Z")
        #expect(signed.headers[2].value.hasSuffix("Signature=\(signed.signature)"))
    }

    @Test("hop-by-hop and rewritten headers are sent but not signed")
    func unsignableHeaders() throws {
        let signed = try Self.sign("https://example.amazonaws.com/", headers: [
            (name: "Host", value: "example.amazonaws.com"),
            (name: "User-Agent", value: "uservault/1.0"),
            (name: "X-Amzn-Trace-Id", value: "Root=1-5759e988-bd862e3fe1be46a994272793"),
            (name: "Content-Type", value: "application/x-amz-json-1.0"),
        ])
        #expect(signed.headers.map(\.name)
            == ["Host", "User-Agent", "X-Amzn-Trace-Id", "Content-Type", "X-Amz-Date", "Authorization"])
        #expect(Self.lines(signed).dropLast().last == "content-type;host;x-amz-date")
    }

    @Test("the payload line", arguments: [
        (SigV4Signer.Payload.empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (.data(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (.data(Data("hello".utf8)), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        (.hash("0123abcd"), "0123abcd"),
        (.unsigned, "UNSIGNED-PAYLOAD"),
    ])
    func payloadLine(payload: SigV4Signer.Payload, line: String) throws {
        let signed = try Self.sign("https://example.amazonaws.com/", payload: payload)
        #expect(Self.lines(signed).last.map(String.init) == line)
    }

    @Test("signedBodyHeader adds and signs x-amz-content-sha256, replacing the caller's")
    func signedBodyHeader() throws {
        let signed = try Self.sign("https://example.amazonaws.com/", headers: [
            (name: "Host", value: "example.amazonaws.com"),
            (name: "X-Amz-Content-SHA256", value: "stale"),
        ], payload: .data(Data("hello".utf8)), options: .s3)
        #expect(signed.headers.filter { $0.name.lowercased() == "x-amz-content-sha256" }.map(\.value)
            == ["2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"])
        #expect(Self.lines(signed).dropLast().last == "host;x-amz-content-sha256;x-amz-date")
    }

    @Test("the signing time is written in UTC, rounded down to the second", arguments: [
        (0.0, "19700101T000000Z"),
        (-1.0, "19691231T235959Z"),
        (951_868_799.999, "20000229T235959Z"),
        (1_440_938_160.0, "20150830T123600Z"),
        (1_709_251_199.5, "20240229T235959Z"),
        (4_102_444_800.0, "21000101T000000Z"),
    ])
    func signingTime(seconds: Double, timestamp: String) throws {
        let signed = try Self.sign("https://example.amazonaws.com/", date: Date(timeIntervalSince1970: seconds))
        #expect(signed.headers.first { $0.name == "X-Amz-Date" }?.value == timestamp)
        let scope = signed.stringToSign.split(separator: "\n")[2]
        #expect(scope == "\(timestamp.prefix(8))/us-east-1/service/aws4_request")
    }

    @Test("presign keeps the URL's own query and fragment and appends the signing parameters last")
    func presignKeepsQueryAndFragment() throws {
        let url = try #require(URL(string: "https://example.amazonaws.com/a%20b?x=1&y=%2F#part"))
        let presigned = Self.signer.presign(method: "GET", url: url, expires: 60, date: Self.date)
        let query = try #require(presigned.url.query(percentEncoded: true))
        #expect(query.hasPrefix("x=1&y=%2F&X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
        #expect(query.hasSuffix("&X-Amz-Signature=\(presigned.signature)"))
        #expect(presigned.url.path(percentEncoded: true) == "/a%20b")
        #expect(presigned.url.fragment() == "part")
        #expect(presigned.canonicalRequest.split(separator: "\n")[1] == "/a%2520b")
    }
}
