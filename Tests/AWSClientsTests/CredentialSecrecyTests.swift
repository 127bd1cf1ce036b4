@testable import AWSClients
import AWSSigning
import Foundation
import Testing
import TestSupport

@Suite("No secret in descriptions, errors or logs")
struct CredentialSecrecyTests {
    static let secrets = [
        "ENV-SECRET-wJalrXUtnFEMI", "ENV-TOKEN-FwoGZXIvYXdzE", "FLAG-SECRET-bPxRfiCYEXAMPLEKEY", "FLAG-TOKEN-IQoJb3JpZ2lu",
        "FILE-SECRET-je7MtGbClwBF", "FILE-TOKEN-AQoDYXdzEJr",
    ]

    func assertClean(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in Self.secrets {
            #expect(!text.contains(secret), "\(what) contains a secret: \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test("configuration, flags, recipes, providers, profiles and credentials describe themselves without secrets")
    func descriptions() async throws {
        try await TemporaryDirectory.with { home in
            try home.writeAWSFiles(config: "[default]\nregion = eu-west-1\n", credentials: """
                [default]
                aws_access_key_id = AKIDFILE
                aws_secret_access_key = FILE-SECRET-je7MtGbClwBF
                aws_session_token = FILE-TOKEN-AQoDYXdzEJr
                """)
            let environment = [
                "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "ENV-SECRET-wJalrXUtnFEMI",
                "AWS_SESSION_TOKEN": "ENV-TOKEN-FwoGZXIvYXdzE", "AWS_EC2_METADATA_DISABLED": "true",
            ]
            let flags = AWSFlags(region: "eu-west-1", accessKeyId: "AKIDFLAG", secretAccessKey: "FLAG-SECRET-bPxRfiCYEXAMPLEKEY",
                                 sessionToken: "FLAG-TOKEN-IQoJb3JpZ2lu")
            assertClean(String(describing: flags), "flags")
            assertClean(String(reflecting: flags), "flags (reflecting)")
            var dumped = ""
            dump(flags, to: &dumped)
            assertClean(dumped, "flags (dump)")

            let configuration = try AWSConfiguration.resolve(flags: flags, environment: environment, homeDirectory: home.path)
            assertClean(String(describing: configuration), "configuration")
            assertClean(configuration.credentials.description, "credential recipe")

            let files = try SharedConfigFiles.load(environment: environment, homeDirectory: home.path)
            let profile = try #require(files.profile("default"))
            assertClean(String(describing: profile), "profile")

            try await HTTP1Transport.withTransport { transport in
                let context = CredentialProviderContext(transport: transport, region: "eu-west-1")
                let providers: [any CredentialProvider] = [
                    EnvironmentCredentialProvider(environment: environment),
                    ProfileCredentialProvider(profile: "default", files: files, environment: environment, context: context),
                    StaticCredentialProvider(AWSCredentials(accessKeyId: "AKIDFLAG", secretAccessKey: "FLAG-SECRET-bPxRfiCYEXAMPLEKEY",
                                                            sessionToken: "FLAG-TOKEN-IQoJb3JpZ2lu")),
                ]
                for provider in providers {
                    assertClean(String(describing: provider), "\(type(of: provider))")
                    let credentials = try await provider.credentials(logger: testLogger)
                    assertClean(String(describing: credentials), "credentials")
                    assertClean(String(reflecting: credentials), "credentials (reflecting)")
                }
                // The secrets are really there, so the checks above are not vacuous.
                let fromFlags = try await AWSClientFactory(configuration: configuration, transport: transport, logger: testLogger)
                    .credentials.credentials(logger: testLogger)
                #expect(fromFlags.secretAccessKey == "FLAG-SECRET-bPxRfiCYEXAMPLEKEY")
                #expect(fromFlags.sessionToken == "FLAG-TOKEN-IQoJb3JpZ2lu")
            }
        }
    }

    @Test("errors and logs of a failing chain hold no secret")
    func errorsAndLogs() async throws {
        let logs = LogRecorder()
        try await TemporaryDirectory.with { home in
            try home.writeAWSFiles(config: """
                [profile broken]
                role_arn = arn:aws:iam::123456789012:role/x
                aws_secret_access_key = FILE-SECRET-je7MtGbClwBF
                aws_session_token = FILE-TOKEN-AQoDYXdzEJr
                """)
            try await HTTP1Transport.withTransport { transport in
                let environment = [
                    "AWS_SECRET_ACCESS_KEY": "ENV-SECRET-wJalrXUtnFEMI", "AWS_SESSION_TOKEN": "ENV-TOKEN-FwoGZXIvYXdzE",
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "eu-west-1",
                ]
                let cases: [(environment: [String: String], profile: String?)] = [
                    (environment, nil), (environment.filter { !$0.key.hasPrefix("AWS_SE") }, "broken"),
                ]
                for (env, profile) in cases {
                    let configuration = try AWSConfiguration.resolve(flags: AWSFlags(profile: profile), environment: env,
                                                                     homeDirectory: home.path)
                    let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: logs.logger)
                    let error = await #expect(throws: CredentialError.self) {
                        try await factory.credentials.credentials(logger: logs.logger)
                    }
                    assertClean(String(describing: error), "error")
                    assertClean(String(reflecting: error), "error (reflecting)")
                }
            }
        }
        for entry in logs.entries { assertClean(entry.rendered, "log line") }
    }
}
