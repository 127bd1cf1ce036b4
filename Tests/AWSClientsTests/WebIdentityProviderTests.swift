@testable import AWSClients
import Foundation
import Testing
import TestSupport

/// The web identity provider's refusals: half a configuration is "not configured" (the chain
/// goes on), an empty token file or an STS refusal stops it with the role named and the token
/// never shown. (Success through moto: `CredentialRoleTests`.)
@Suite("Web identity credentials: refusals")
struct WebIdentityProviderTests {
    static let roleArn = "arn:aws:iam::123456789012:role/ci-deployer"

    @Test("without AWS_ROLE_ARN or without AWS_WEB_IDENTITY_TOKEN_FILE it is not configured, and says which")
    func halfConfigured() async throws {
        try await HTTP1Transport.withTransport { transport in
            let context = CredentialProviderContext(transport: transport, region: "eu-west-1")
            for (environment, missing) in [(["AWS_WEB_IDENTITY_TOKEN_FILE": "/token"], "AWS_ROLE_ARN"),
                                           (["AWS_ROLE_ARN": Self.roleArn], "AWS_WEB_IDENTITY_TOKEN_FILE"),
                                           ([:], "AWS_ROLE_ARN")] {
                let provider = WebIdentityCredentialProvider(environment: environment, context: context)
                #expect(provider.description == "web identity: \(missing) not set")
                let error = await #expect(throws: CredentialError.self) { try await provider.credentials(logger: testLogger) }
                #expect(error?.isNotConfigured == true)
            }
            let configured = WebIdentityCredentialProvider(roleArn: Self.roleArn, tokenFile: "/token", sessionName: nil,
                                                           context: context, name: "profile 'ci'")
            #expect(configured.description == "profile 'ci' (\(Self.roleArn))")
        }
    }

    @Test("an empty token file, or STS refusing the token: an error naming the file or the role, no token in it")
    func refusals() async throws {
        let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.secret-part"
        try await withCredentialEndpointServer(handler: { _ in
            CredentialEndpointResponse(status: 400, body: """
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>\
                <Code>InvalidIdentityToken</Code><Message>Couldn't retrieve verification key from your identity provider</Message>\
                </Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>
                """)
        }) { server in
            try await TemporaryDirectory.with { home in
                try await HTTP1Transport.withTransport { transport in
                    let context = CredentialProviderContext(transport: transport, region: "eu-west-1",
                                                            stsEndpoint: URL(string: server.endpoint), retry: .none)
                    let empty = try home.write("empty-token", " \n")
                    let emptyError = await #expect(throws: CredentialError.self) {
                        try await WebIdentityCredentialProvider(environment: [
                            "AWS_ROLE_ARN": Self.roleArn, "AWS_WEB_IDENTITY_TOKEN_FILE": empty,
                        ], context: context).credentials(logger: testLogger)
                    }
                    #expect(emptyError?.description == "web identity: the web identity token file \(empty) is empty")
                    #expect(server.requests.isEmpty, "nothing sent for an empty token")

                    let tokenFile = try home.write("token", token + "\n")
                    let refused = await #expect(throws: CredentialError.self) {
                        try await WebIdentityCredentialProvider(environment: [
                            "AWS_ROLE_ARN": Self.roleArn, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
                        ], context: context).credentials(logger: testLogger)
                    }
                    let description = try #require(refused?.description)
                    #expect(description.hasPrefix("web identity: AssumeRoleWithWebIdentity for \(Self.roleArn) failed: "), "\(description)")
                    #expect(description.contains("InvalidIdentityToken"), "\(description)")
                    #expect(refused?.isNotConfigured == false)
                    #expect(!description.contains(token) && !description.contains("secret-part"))
                    #expect(server.requests.count == 1)
                }
            }
        }
    }
}
