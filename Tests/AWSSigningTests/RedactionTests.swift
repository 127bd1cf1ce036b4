import AWSSigning
import Foundation
import Testing

/// Secrets never reach a textual representation: not the secret access key, not the session
/// token, not a signature.
@Suite("Redaction of credentials and signatures")
struct RedactionTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN+/=="
    static let credentials = AWSCredentials(
        accessKeyId: "ASIAEXAMPLE",
        secretAccessKey: secret,
        sessionToken: token,
        expiration: Date(timeIntervalSince1970: 1_440_941_760)
    )

    /// Every way a value is commonly turned into text.
    static func renderings(_ value: some Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        let children = Mirror(reflecting: value).children.map { "\($0.value)" }
        return ["\(value)", String(describing: value), String(reflecting: value), dumped, "\(children)"]
    }

    @Test("AWSCredentials shows the access key id and never the secret or the token")
    func credentialsAreRedacted() {
        for text in Self.renderings(Self.credentials) {
            #expect(text.contains("ASIAEXAMPLE"))
            #expect(!text.contains(Self.secret))
            #expect(!text.contains(Self.token))
        }
        let expiration = Date(timeIntervalSince1970: 1_440_941_760)
        #expect(Self.credentials.description == "AWSCredentials(accessKeyId: ASIAEXAMPLE, secretAccessKey: <redacted>, "
            + "sessionToken: <redacted>, expiration: \(expiration))")
        let longTerm = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: Self.secret)
        #expect(longTerm.description == "AWSCredentials(accessKeyId: AKIDEXAMPLE, secretAccessKey: <redacted>)")
    }

    @Test("signed headers and presigned URLs describe themselves without token or signature")
    func resultsAreRedacted() throws {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "sts")
        let url = try #require(URL(string: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"))
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let signed = signer.signHeaders(method: "GET", url: url, date: date)
        let presigned = signer.presign(method: "GET", url: url, expires: 60, date: date)
        #expect(signed.headers.contains { $0.value == Self.token })  // the token is sent...
        for text in Self.renderings(signed) + Self.renderings(presigned) {
            #expect(!text.contains(Self.secret))  // ...but never shown
            #expect(!text.contains(Self.token))
            #expect(!text.contains(URIEncoding.encoded(Self.token)))
            #expect(!text.contains(signed.signature))
            #expect(!text.contains(presigned.signature))
        }
        #expect(signed.description
            == "SigV4Signer.Signed(headers: [Host, X-Amz-Security-Token, X-Amz-Date, Authorization], signature: <redacted>)")
        #expect(presigned.description
            == "SigV4Signer.Presigned(url: https://sts.amazonaws.com/?<redacted>, signature: <redacted>)")
    }
}

/// Percent-encoding for the assertions above, independent of the module's implementation.
private enum URIEncoding {
    static func encoded(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
