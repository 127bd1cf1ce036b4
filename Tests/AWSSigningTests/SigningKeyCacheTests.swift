import AWSSigning
import Foundation
import Testing

/// A signer with a ``SigningKeyCache`` signs exactly as one without, and never reuses a key
/// derived for another secret, day, region or service.
@Suite("SigV4 signing-key cache")
struct SigningKeyCacheTests {
    static let url = URL(string: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")!
    static let headers = [
        (name: "Host", value: "iam.amazonaws.com"),
        (name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8"),
    ]
    /// 2015-08-30T12:36:00Z, the IAM ListUsers example of the signing guide.
    static let exampleDate = Date(timeIntervalSince1970: 1_440_938_160)

    static func signature(_ secret: String, region: String = "us-east-1", service: String = "iam",
                          date: Date = exampleDate, cache: SigningKeyCache?) -> String {
        var signer = SigV4Signer(credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret),
                                 region: region, service: service)
        signer.keyCache = cache
        return signer.signHeaders(method: "GET", url: url, headers: headers, date: date).signature
    }

    @Test("the documented signature, from a cold and from a warm cache")
    func documentedExample() {
        let cache = SigningKeyCache()
        let expected = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        #expect(Self.signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", cache: cache) == expected)
        #expect(Self.signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", cache: cache) == expected)
    }

    @Test("many signatures at once from one warm cache are all the documented one (the keyed HMAC is copied, never shared)")
    func concurrentUse() async {
        let cache = SigningKeyCache()
        let expected = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        #expect(Self.signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", cache: cache) == expected)
        let signatures = await withTaskGroup(of: String.self) { group in
            for _ in 0..<200 {
                group.addTask { Self.signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", cache: cache) }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(signatures.count == 200)
        #expect(Set(signatures) == [expected])
    }

    @Test("a new secret, day, region or service derives a new key", arguments: [
        ("another-secret", "us-east-1", "iam", 0.0),
        ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "iam", 86_400.0),
        ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "eu-west-1", "iam", 0.0),
        ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "kms", 0.0),
    ])
    func noStaleKey(secret: String, region: String, service: String, later: Double) {
        let cache = SigningKeyCache()
        _ = Self.signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", cache: cache)  // warm it
        let date = Self.exampleDate.addingTimeInterval(later)
        let uncached = Self.signature(secret, region: region, service: service, date: date, cache: nil)
        #expect(Self.signature(secret, region: region, service: service, date: date, cache: cache) == uncached)
        #expect(uncached != "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }
}
