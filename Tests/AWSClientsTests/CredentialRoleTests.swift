@testable import AWSClients
import AWSSigning
import Foundation
import Testing
import TestSupport

extension STSAgainstMotoTests {
    @Suite("Role credentials through STS")
    struct CredentialRoleTests {
        @Test("role_arn + source_profile, chained twice, assumes the roles through STS AssumeRole")
        func sourceProfileChain() async throws {
            try await withMotoServer { moto in
                try await TemporaryDirectory.with { home in
                    try home.writeAWSFiles(config: """
                        [profile base]
                        region = eu-west-1
                        [profile middle]
                        role_arn = arn:aws:iam::123456789012:role/middle
                        source_profile = base
                        [profile app]
                        role_arn = arn:aws:iam::123456789012:role/app
                        source_profile = middle
                        role_session_name = app-session
                        duration_seconds = 900
                        region = us-east-1
                        """, credentials: """
                        [base]
                        aws_access_key_id = AKIDBASE
                        aws_secret_access_key = base-secret
                        """)
                    try await HTTP1Transport.withTransport { transport in
                        let environment = noInstanceMetadata.merging([
                            "AWS_PROFILE": "app", "AWS_ENDPOINT_URL": moto.endpoint,
                        ]) { $1 }
                        let configuration = try AWSConfiguration.resolve(environment: environment, homeDirectory: home.path)
                        #expect(configuration.region == "us-east-1")
                        let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: testLogger)
                        let credentials = try await factory.credentials.credentials(logger: testLogger)
                        #expect(credentials.accessKeyId != "AKIDBASE")
                        #expect(credentials.sessionToken?.isEmpty == false)
                        let expiration = try #require(credentials.expiration)
                        #expect(expiration > Date().addingTimeInterval(600))
                        #expect(expiration <= Date().addingTimeInterval(960))

                        let identity = try await factory.sts().getCallerIdentity()
                        #expect(identity.account == MotoServer.accountId)
                        #expect(identity.arn.contains("assumed-role/app/app-session"))
                    }
                }
            }
        }

        @Test("web identity from the environment beats the profile, through unsigned AssumeRoleWithWebIdentity")
        func webIdentity() async throws {
            try await withMotoServer { moto in
                try await TemporaryDirectory.with { home in
                    try home.writeAWSFiles(credentials: """
                        [default]
                        aws_access_key_id = AKIDPROFILE
                        aws_secret_access_key = profile-secret
                        """)
                    let tokenFile = try home.write("token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.\n")
                    try await HTTP1Transport.withTransport { transport in
                        let environment = noInstanceMetadata.merging([
                            "AWS_REGION": MotoServer.region, "AWS_ENDPOINT_URL_STS": moto.endpoint,
                            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci-deployer",
                            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_SESSION_NAME": "ci-session",
                        ]) { $1 }
                        let configuration = try AWSConfiguration.resolve(environment: environment, homeDirectory: home.path)
                        let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: testLogger)
                        let credentials = try await factory.credentials.credentials(logger: testLogger)
                        #expect(credentials.accessKeyId != "AKIDPROFILE")
                        #expect(credentials.sessionToken?.isEmpty == false)
                        #expect(credentials.expiration != nil)

                        let identity = try await factory.sts().getCallerIdentity()
                        #expect(identity.arn.contains("assumed-role/ci-deployer/ci-session"))

                        // A token file that cannot be read stops the chain (the profile is not used).
                        var broken = environment
                        broken["AWS_WEB_IDENTITY_TOKEN_FILE"] = home.path + "/missing-token"
                        let brokenConfiguration = try AWSConfiguration.resolve(environment: broken, homeDirectory: home.path)
                        let error = await #expect(throws: CredentialError.self) {
                            try await AWSClientFactory(configuration: brokenConfiguration, transport: transport, logger: testLogger)
                                .credentials.credentials(logger: testLogger)
                        }
                        #expect(error?.description.hasPrefix("web identity: cannot read the web identity token file") == true)
                    }
                }
            }
        }
    }
}
