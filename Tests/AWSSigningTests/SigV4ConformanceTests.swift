import AWSSigning
import Foundation
import Testing

/// The public SigV4 test suite of aws-c-auth (vendored unchanged in `Tests/Conformance/sigv4/v4/`):
/// for every case, header signing and query signing must reproduce the canonical request, the
/// string to sign, the signature and the signed request exactly.
@Suite("SigV4 conformance vectors")
struct SigV4ConformanceTests {
    @Test("the corpus is there, with its 38 cases")
    func corpusIsComplete() {
        #expect(SigV4Vector.names.count == 38, "looked in \(SigV4Vector.directory.path)")
    }

    @Test("header signing matches the vector", arguments: SigV4Vector.names)
    func headerSigning(_ name: String) throws {
        let vector = try SigV4Vector(named: name)
        let expectedCanonicalRequest = try vector.expected("header-canonical-request.txt")
        let expectedStringToSign = try vector.expected("header-string-to-sign.txt")
        let expectedSignature = try vector.expected("header-signature.txt")
        let expectedSignedRequest = try vector.expected("header-signed-request.txt")

        let signed = vector.signer.signHeaders(
            method: vector.request.method,
            url: vector.url,
            headers: vector.request.headers,
            payload: .data(vector.request.body),
            date: vector.date,
            options: vector.options
        )

        #expect(signed.canonicalRequest == expectedCanonicalRequest)
        #expect(signed.stringToSign == expectedStringToSign)
        #expect(signed.signature == expectedSignature)
        #expect(vector.request.rendered(headers: signed.headers) == expectedSignedRequest)
    }

    @Test("query signing matches the vector", arguments: SigV4Vector.names)
    func querySigning(_ name: String) throws {
        let vector = try SigV4Vector(named: name)
        let expectedCanonicalRequest = try vector.expected("query-canonical-request.txt")
        let expectedStringToSign = try vector.expected("query-string-to-sign.txt")
        let expectedSignature = try vector.expected("query-signature.txt")
        let expectedSignedRequest = try vector.expected("query-signed-request.txt")

        let presigned = vector.signer.presign(
            method: vector.request.method,
            url: vector.url,
            headers: vector.request.headers,
            payload: .data(vector.request.body),
            expires: vector.context.expirationInSeconds,
            date: vector.date,
            options: vector.options
        )

        #expect(presigned.canonicalRequest == expectedCanonicalRequest)
        #expect(presigned.stringToSign == expectedStringToSign)
        #expect(presigned.signature == expectedSignature)

        // The presigned URL keeps the scheme, host, path and original query, then appends the
        // signing parameters; the vector shows them after the original (raw) request target.
        #expect(presigned.url.scheme == vector.url.scheme)
        #expect(presigned.url.host() == vector.url.host())
        #expect(presigned.url.path(percentEncoded: true) == vector.url.path(percentEncoded: true))
        let originalQuery = vector.url.query(percentEncoded: true)
        let prefix = originalQuery.map { $0 + "&" } ?? ""
        let query = try #require(presigned.url.query(percentEncoded: true))
        #expect(query.hasPrefix(prefix))
        let signingParameters = query.dropFirst(prefix.count)
        let target = vector.request.target + (originalQuery == nil ? "?" : "&") + signingParameters
        #expect(vector.request.rendered(target: target) == expectedSignedRequest)
    }
}
