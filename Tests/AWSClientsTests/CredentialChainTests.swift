@testable import AWSClients
import AWSSigning
import Foundation
import Testing
import TestSupport

@Suite("Credential chain: order and outcomes")
struct CredentialChainTests {
    static let credentialsFile = """
        [default]
        aws_access_key_id = AKIDDEFAULTPROFILE
        aws_secret_access_key = default-profile-secret

        [dev]
        aws_access_key_id = AKIDDEVPROFILE
        aws_secret_access_key = dev-profile-secret
        aws_session_token = dev-profile-token
        """

    static let environmentKeys = [
        "AWS_ACCESS_KEY_ID": "AKIDENVIRONMENT", "AWS_SECRET_ACCESS_KEY": "environment-secret",
        "AWS_SESSION_TOKEN": "environment-token",
    ]

    @Test("a named profile in the shared files, with no credential variables, yields its credentials")
    func namedProfile() async throws {
        try await TemporaryDirectory.with { home in
            try home.writeAWSFiles(config: "[profile dev]\nregion = eu-west-1\n", credentials: Self.credentialsFile)
            try await HTTP1Transport.withTransport { transport in
                let environment = noInstanceMetadata.merging(["AWS_PROFILE": "dev"]) { $1 }
                let credentials = try await resolveCredentials(environment: environment, home: home, transport: transport)
                #expect(credentials.accessKeyId == "AKIDDEVPROFILE")
                #expect(credentials.secretAccessKey == "dev-profile-secret")
                #expect(credentials.sessionToken == "dev-profile-token")

                let byFlag = try await resolveCredentials(flags: AWSFlags(profile: "dev"), environment: noInstanceMetadata,
                                                          home: home, transport: transport)
                #expect(byFlag.accessKeyId == "AKIDDEVPROFILE")

                let byDefault = try await resolveCredentials(environment: noInstanceMetadata, home: home, transport: transport)
                #expect(byDefault.accessKeyId == "AKIDDEFAULTPROFILE")
                #expect(byDefault.sessionToken == nil)
            }
        }
    }

    @Test("flags beat the environment, the environment beats the profile")
    func precedence() async throws {
        try await TemporaryDirectory.with { home in
            try home.writeAWSFiles(credentials: Self.credentialsFile)
            try await HTTP1Transport.withTransport { transport in
                let environment = Self.environmentKeys.merging(noInstanceMetadata) { $1 }
                let fromEnvironment = try await resolveCredentials(environment: environment, home: home, transport: transport)
                #expect(fromEnvironment.accessKeyId == "AKIDENVIRONMENT")
                #expect(fromEnvironment.sessionToken == "environment-token")

                let flags = AWSFlags(accessKeyId: "AKIDFLAGS", secretAccessKey: "flags-secret")
                let fromFlags = try await resolveCredentials(flags: flags, environment: environment, home: home,
                                                             transport: transport)
                #expect(fromFlags.accessKeyId == "AKIDFLAGS")
                #expect(fromFlags.sessionToken == nil)

                // AWS_PROFILE does not outrank the environment's keys ...
                let withProfileVariable = try await resolveCredentials(
                    environment: environment.merging(["AWS_PROFILE": "dev"]) { $1 }, home: home, transport: transport)
                #expect(withProfileVariable.accessKeyId == "AKIDENVIRONMENT")
                // ... but --profile does, as in the AWS CLI.
                let withProfileFlag = try await resolveCredentials(flags: AWSFlags(profile: "dev"), environment: environment,
                                                                   home: home, transport: transport)
                #expect(withProfileFlag.accessKeyId == "AKIDDEVPROFILE")
            }
        }
    }

    @Test("the profile beats container credentials, which beat instance metadata; skipped ones are never called")
    func laterProviders() async throws {
        let containerCredentials = StandInCredentials(accessKeyId: "AKIDCONTAINER", secretAccessKey: "container-secret",
                                                      token: "container-token", expiration: fixedExpiration)
        let instanceCredentials = StandInCredentials(accessKeyId: "AKIDINSTANCE", secretAccessKey: "instance-secret",
                                                     token: "instance-token", expiration: fixedExpiration)
        try await withCredentialEndpointServer(handler: CredentialEndpointBehaviour.container(
            path: "/creds", authorization: nil, credentials: containerCredentials)) { container in
            try await withCredentialEndpointServer(handler: CredentialEndpointBehaviour.instanceMetadata(
                token: "imds-token", role: "role", credentials: instanceCredentials)) { imds in
                try await TemporaryDirectory.with { home in
                    try await HTTP1Transport.withTransport { transport in
                        // A generous timeout: on a busy machine a stand-in that answers late
                        // must not be asked twice, or the request counts below would lie.
                        let patient = ["AWS_METADATA_SERVICE_TIMEOUT": "30"]
                        let environment = patient.merging([
                            "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.endpoint + "/creds",
                            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint,
                        ]) { $1 }
                        // Nothing in the profile: the container answers, IMDS is not asked.
                        try home.writeAWSFiles(config: "[default]\nregion = eu-west-1\n")
                        let fromContainer = try await resolveCredentials(environment: environment, home: home,
                                                                         transport: transport)
                        #expect(fromContainer.accessKeyId == "AKIDCONTAINER")
                        #expect(fromContainer.expiration == fixedExpiration)
                        #expect(container.requests.count == 1)
                        #expect(imds.requests.isEmpty)

                        // Keys in the profile: neither endpoint is asked.
                        try home.writeAWSFiles(credentials: Self.credentialsFile)
                        let fromProfile = try await resolveCredentials(environment: environment, home: home,
                                                                       transport: transport)
                        #expect(fromProfile.accessKeyId == "AKIDDEFAULTPROFILE")
                        #expect(container.requests.count == 1)

                        // Only instance metadata left.
                        try FileManager.default.removeItem(atPath: home.path + "/.aws/credentials")
                        let fromInstance = try await resolveCredentials(
                            environment: patient.merging(["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint]) { $1 },
                            home: home,
                            transport: transport)
                        #expect(fromInstance.accessKeyId == "AKIDINSTANCE")
                        #expect(imds.requests.count == 3)
                    }
                }
            }
        }
    }

    @Test("when nothing has credentials, one line lists what was tried")
    func noneFound() async throws {
        try await TemporaryDirectory.with { home in
            try await HTTP1Transport.withTransport { transport in
                let error = await #expect(throws: CredentialError.self) {
                    try await resolveCredentials(environment: noInstanceMetadata, home: home, transport: transport)
                }
                let text = try #require(error?.description)
                #expect(error?.isNoneFound == true)
                #expect(!text.contains("\n"))
                #expect(text.hasPrefix("no AWS credentials found (tried "))
                for tried in ["environment:", "web identity:", "profile 'default':", "container:",
                              "instance metadata: disabled by AWS_EC2_METADATA_DISABLED"] {
                    #expect(text.contains(tried), "missing \(tried) in: \(text)")
                }
            }
        }
    }

    @Test("instance metadata that does not answer counts as not configured")
    func unreachableInstanceMetadata() async throws {
        let closedPort = try freeLoopbackPort()
        try await TemporaryDirectory.with { home in
            try await HTTP1Transport.withTransport { transport in
                let error = await #expect(throws: CredentialError.self) {
                    try await resolveCredentials(
                        environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(closedPort)"],
                        home: home, transport: transport)
                }
                #expect(error?.isNoneFound == true)
                #expect(error?.description.contains("instance metadata: no answer from http://127.0.0.1:\(closedPort)") == true)
            }
        }
    }

    @Test("a configured but broken provider stops the chain with its own error")
    func brokenStopsChain() async throws {
        try await TemporaryDirectory.with { home in
            try home.writeAWSFiles(credentials: Self.credentialsFile)
            try await HTTP1Transport.withTransport { transport in
                let halfEnvironment = noInstanceMetadata.merging(["AWS_ACCESS_KEY_ID": "AKIDHALF"]) { $1 }
                let error = await #expect(throws: CredentialError.self) {
                    try await resolveCredentials(environment: halfEnvironment, home: home, transport: transport)
                }
                #expect(error?.isNotConfigured == false)
                #expect(error?.description == "environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
        }
    }

    @Test("role profiles that cannot work are errors, not skipped", arguments: [
        ("[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\n", "neither source_profile nor credential_source"),
        ("[profile app]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n"
            + "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = app\n", "source_profile cycle: app -> b -> app"),
        ("[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = ghost\n", "profile 'ghost': not found"),
        ("[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = empty\n[profile empty]\nregion = eu-west-1\n",
         "source_profile 'empty' has no credentials"),
        ("[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\ncredential_source = Floppy\n", "credential_source must be"),
        ("[profile app]\nsso_session = corp\n", "IAM Identity Center"),
        ("[profile app]\naws_access_key_id = AKIDONLY\n", "no aws_secret_access_key"),
    ])
    func brokenProfiles(config: String, expected: String) async throws {
        try await TemporaryDirectory.with { home in
            try home.writeAWSFiles(config: config)
            try await HTTP1Transport.withTransport { transport in
                let error = await #expect(throws: CredentialError.self) {
                    try await resolveCredentials(environment: noInstanceMetadata.merging(["AWS_PROFILE": "app"]) { $1 },
                                                 home: home, transport: transport)
                }
                #expect(error?.isNotConfigured == false)
                #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
            }
        }
    }

    @Test("chains remember the provider that answered")
    func remembersWinner() async throws {
        let clock = TestClock()
        let first = CountingCredentialProvider(clock: clock, delay: .zero)
        let chain = ChainCredentialProvider([
            EnvironmentCredentialProvider(environment: [:]),
            first,
        ])
        _ = try await chain.credentials(logger: testLogger)
        let second = try await chain.credentials(logger: testLogger)
        #expect(second.accessKeyId == "AKID2")
        #expect(first.count == 2)
    }

    @Test("static factory members compose a chain")
    func recipes() async throws {
        let recipe = CredentialProviders.chain([
            .environment([:]),
            .explicit(AWSCredentials(accessKeyId: "AKIDEXPLICIT", secretAccessKey: "explicit-secret")),
            .instanceMetadata(environment: noInstanceMetadata),
        ])
        #expect(recipe.description == "chain(environment, explicit, instance metadata)")
        try await HTTP1Transport.withTransport { transport in
            let provider = recipe.makeProvider(context: CredentialProviderContext(transport: transport, region: "eu-west-1"))
            let credentials = try await provider.credentials(logger: testLogger)
            #expect(credentials.accessKeyId == "AKIDEXPLICIT")
        }
    }
}
