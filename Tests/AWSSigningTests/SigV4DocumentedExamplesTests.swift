import AWSSigning
import Foundation
import Testing

/// The worked examples of the AWS documentation, which fix the signature of a whole request
/// end to end (including the S3 rules the aws-c-auth vectors do not cover).
@Suite("SigV4 examples from the AWS documentation")
struct SigV4DocumentedExamplesTests {
    /// 2013-05-24T00:00:00Z, the time of the Amazon S3 examples.
    static let s3ExampleDate = Date(timeIntervalSince1970: 1_369_353_600)
    static let s3Signer = SigV4Signer(
        credentials: AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1",
        service: "s3"
    )

    /// The IAM `ListUsers` example of the SigV4 signing guide (GET with a query and a
    /// Content-Type header, 2015-08-30T12:36:00Z).
    @Test("IAM ListUsers example")
    func iamListUsers() throws {
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1",
            service: "iam"
        )
        let url = try #require(URL(string: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"))
        let signed = signer.signHeaders(
            method: "GET",
            url: url,
            headers: [
                (name: "Host", value: "iam.amazonaws.com"),
                (name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8"),
            ],
            date: Date(timeIntervalSince1970: 1_440_938_160)
        )
        #expect(signed.stringToSign.hasSuffix("\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"))
        #expect(signed.signature == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
        #expect(signed.headers.last?.value == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    /// "Example: GET Object" of
    /// [Signature calculations for the Authorization header](https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
    @Test("S3 GET Object example, header signing with the S3 options")
    func s3GetObject() throws {
        let url = try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test.txt"))
        let signed = Self.s3Signer.signHeaders(
            method: "GET",
            url: url,
            headers: [(name: "Range", value: "bytes=0-9")],
            payload: .empty,
            date: Self.s3ExampleDate,
            options: .s3
        )
        #expect(signed.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let names = signed.headers.map(\.name)
        #expect(names == ["Range", "Host", "X-Amz-Date", "x-amz-content-sha256", "Authorization"])
    }

    /// The example of
    /// [Authenticating requests: using query parameters](https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
    @Test("S3 presigned URL example")
    func s3PresignedURL() throws {
        let url = try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test.txt"))
        let presigned = Self.s3Signer.presign(
            method: "GET",
            url: url,
            payload: .unsigned,
            expires: 86_400,
            date: Self.s3ExampleDate,
            options: .s3
        )
        #expect(presigned.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        let components = try #require(URLComponents(url: presigned.url, resolvingAgainstBaseURL: false))
        let items = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(items == [
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
            "X-Amz-Date": "20130524T000000Z",
            "X-Amz-Expires": "86400",
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
        ])
        #expect(presigned.url.absoluteString.hasPrefix("https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm="))
    }
}
