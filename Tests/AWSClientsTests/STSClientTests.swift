@testable import AWSClients
import AWSSigning
import Foundation
import Testing
import TestSupport

/// Every test that starts a moto server, one after another (each start and stop costs seconds
/// and memory on two cores).
@Suite("STS against moto", .serialized)
struct STSAgainstMotoTests {}

extension STSAgainstMotoTests {
    @Suite("STS client")
    struct STSClientTests {
        func client(_ moto: MotoServer, _ transport: any HTTPTransport,
                    credentials: AWSCredentials = AWSCredentials(accessKeyId: "AKIDTESTING", secretAccessKey: "testing-secret"))
            -> STSClient {
            STSClient(AWSServiceClient(service: .sts, endpoint: URL(string: moto.endpoint)!, region: MotoServer.region,
                                       credentials: StaticCredentialProvider(credentials), transport: transport,
                                       logger: testLogger))
        }

        @Test("GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity and an error reply")
        func operations() async throws {
            try await withMotoServer { moto in
                try await HTTP1Transport.withTransport { transport in
                    let sts = client(moto, transport)
                    let identity = try await sts.getCallerIdentity()
                    #expect(identity.account == "123456789012")
                    #expect(identity.arn.hasPrefix("arn:aws:"))

                    let role = "arn:aws:iam::123456789012:role/auditor"
                    let session = try await sts.assumeRole(roleArn: role, sessionName: "nightly-audit", durationSeconds: 900)
                    #expect(session.accessKeyId != "AKIDTESTING")
                    #expect(session.sessionToken?.isEmpty == false)
                    let expiration = try #require(session.expiration)
                    #expect(expiration > Date())
                    #expect(expiration < Date().addingTimeInterval(3600))

                    let assumed = try await client(moto, transport, credentials: session).getCallerIdentity()
                    #expect(assumed.account == "123456789012")
                    #expect(assumed.arn.contains("assumed-role/auditor/nightly-audit"))

                    // Unsigned: a client with no credentials at all can make this call.
                    let unsigned = STSClient(AWSServiceClient(
                        service: .sts, endpoint: URL(string: moto.endpoint)!, region: MotoServer.region,
                        credentials: NoCredentialProvider(), transport: transport, logger: testLogger))
                    let web = try await unsigned.assumeRoleWithWebIdentity(
                        roleArn: "arn:aws:iam::123456789012:role/ci", sessionName: "ci-run", webIdentityToken: "eyJhbGciOiJub25lIn0.e30.")
                    #expect(web.sessionToken?.isEmpty == false)
                    #expect(try #require(web.expiration) > Date())

                    // Errors keep STS's code (session names are limited to 64 characters).
                    let error = await #expect(throws: AWSError.self) {
                        try await sts.assumeRole(roleArn: role, sessionName: String(repeating: "s", count: 65))
                    }
                    #expect(error?.isServiceError == true)
                    #expect(error?.statusCode == 400)
                    #expect(error?.code == "ValidationError")
                }
            }
        }
    }
}

@Suite("STS wire format")
struct STSWireFormatTests {
    @Test("query values are form-encoded with RFC 3986 unreserved characters kept")
    func encoding() {
        #expect(URIEncoding.encode("arn:aws:iam::123456789012:role/a b+c") == "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fa%20b%2Bc")
        #expect(URIEncoding.encode("A-z_0.9~") == "A-z_0.9~")
        #expect(URIEncoding.encode("é") == "%C3%A9")
    }

    @Test("the XML reader finds elements, decodes entities and drops namespaces")
    func xml() throws {
        let document = """
            <?xml version="1.0" encoding="UTF-8"?>
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <!-- a comment -->
              <AssumeRoleResult>
                <Credentials>
                  <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
                  <SecretAccessKey>a&amp;b&lt;c&#x41;&#66;</SecretAccessKey>
                  <SessionToken><![CDATA[tok<en>]]></SessionToken>
                  <Expiration>2033-05-18T03:33:20.000Z</Expiration>
                </Credentials>
                <empty/>
              </AssumeRoleResult>
              <ns:ResponseMetadata xmlns:ns="x"><ns:RequestId>r-1</ns:RequestId></ns:ResponseMetadata>
            </AssumeRoleResponse>
            """
        let root = try XMLElementTree.parse(Data(document.utf8))
        #expect(root.name == "AssumeRoleResponse")
        #expect(root.value("AssumeRoleResult", "Credentials", "AccessKeyId") == "ASIAEXAMPLE")
        #expect(root.value("AssumeRoleResult", "Credentials", "SecretAccessKey") == "a&b<cAB")
        #expect(root.value("AssumeRoleResult", "Credentials", "SessionToken") == "tok<en>")
        #expect(root.path("AssumeRoleResult", "empty") != nil)
        #expect(root.value("ResponseMetadata", "RequestId") == "r-1")
        #expect(ISO8601.date(root.value("AssumeRoleResult", "Credentials", "Expiration")!) == fixedExpiration)
    }

    @Test("DTDs, entities and broken documents are refused", arguments: [
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
        "<x>&e;</x>", "<x><y></x></y>", "<x>", "<x></x><y></y>", "",
    ])
    func refused(document: String) {
        #expect(throws: XMLElementTree.ParseError.self) {
            try XMLElementTree.parse(Data(document.utf8))
        }
    }

    @Test("ISO 8601 dates with or without fractions and offsets", arguments: [
        "2033-05-18T03:33:20Z", "2033-05-18T03:33:20.000Z", "2033-05-18T05:33:20+02:00", "2033-05-18T03:33:20.123456Z",
    ])
    func dates(text: String) throws {
        let date = try #require(ISO8601.date(text))
        #expect(abs(date.timeIntervalSince(fixedExpiration)) < 1)
    }
}
