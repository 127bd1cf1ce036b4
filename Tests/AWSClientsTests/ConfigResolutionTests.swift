@testable import AWSClients
import Foundation
import Testing
import TestSupport

@Suite("Configuration resolution: region, endpoints, retries")
struct ConfigResolutionTests {
    static let profileConfig = """
        [default]
        region = ap-northeast-1
        [profile dev]
        region = eu-north-1
        endpoint_url = http://127.0.0.1:4001
        services = local-dev
        retry_mode = adaptive
        max_attempts = 7
        ca_bundle = /etc/dev/ca.pem
        [services local-dev]
        kms =
          endpoint_url = http://127.0.0.1:4002
        """

    func resolve(_ flags: AWSFlags = AWSFlags(), _ environment: [String: String],
                 config: String? = profileConfig) async throws -> AWSConfiguration {
        try await TemporaryDirectory.with { home in
            try home.writeAWSFiles(config: config)
            return try AWSConfiguration.resolve(flags: flags, environment: environment, homeDirectory: home.path)
        }
    }

    @Test("region: --region, then AWS_REGION, then AWS_DEFAULT_REGION, then the profile")
    func region() async throws {
        let environment = ["AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2", "AWS_PROFILE": "dev"]
        #expect(try await resolve(AWSFlags(region: "us-west-1"), environment).region == "us-west-1")
        #expect(try await resolve(AWSFlags(), environment).region == "eu-west-1")
        #expect(try await resolve(AWSFlags(), environment.filter { $0.key != "AWS_REGION" }).region == "eu-west-2")
        #expect(try await resolve(AWSFlags(), ["AWS_PROFILE": "dev"]).region == "eu-north-1")
        #expect(try await resolve(AWSFlags(), [:]).region == "ap-northeast-1")
        #expect(try await resolve(AWSFlags(profile: "dev"), ["AWS_REGION": ""]).region == "eu-north-1")
    }

    @Test("no region anywhere is one clear error")
    func noRegion() async throws {
        let error = await #expect(throws: AWSConfigurationError.self) {
            try await resolve(AWSFlags(), [:], config: nil)
        }
        #expect(error?.description == "no region: set --region or AWS_REGION")
    }

    @Test("a region that is not a region name is refused")
    func badRegion() async throws {
        await #expect(throws: AWSConfigurationError.self) {
            try await resolve(AWSFlags(region: "evil.example.com/"), [:])
        }
    }

    @Test("endpoints: flag, then AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then the profile, then public")
    func endpoints() async throws {
        let environment = [
            "AWS_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        ]
        let fromEnvironment = try await resolve(AWSFlags(), environment)
        // The service-specific variable beats the general one.
        #expect(fromEnvironment.endpoint(for: .dynamoDB).absoluteString == "http://127.0.0.1:8000")
        #expect(fromEnvironment.endpoint(for: .kms).absoluteString == "http://127.0.0.1:5000")
        #expect(fromEnvironment.endpoint(for: .s3).absoluteString == "http://127.0.0.1:5000")

        let fromFlag = try await resolve(AWSFlags(endpointURL: "http://127.0.0.1:9999"), environment)
        for service in [AWSService.dynamoDB, .kms, .s3, .sts] {
            #expect(fromFlag.endpoint(for: service).absoluteString == "http://127.0.0.1:9999")
        }

        // The profile: its services section for one service, its endpoint_url for the rest.
        let fromProfile = try await resolve(AWSFlags(), ["AWS_PROFILE": "dev"])
        #expect(fromProfile.endpoint(for: .kms).absoluteString == "http://127.0.0.1:4002")
        #expect(fromProfile.endpoint(for: .dynamoDB).absoluteString == "http://127.0.0.1:4001")
        // The environment beats the profile.
        let mixed = try await resolve(AWSFlags(), ["AWS_PROFILE": "dev", "AWS_ENDPOINT_URL_KMS": "http://127.0.0.1:4003"])
        #expect(mixed.endpoint(for: .kms).absoluteString == "http://127.0.0.1:4003")
        #expect(mixed.endpoint(for: .dynamoDB).absoluteString == "http://127.0.0.1:4001")

        let publicOnes = try await resolve(AWSFlags(), ["AWS_REGION": "eu-west-1"])
        #expect(publicOnes.endpoint(for: .dynamoDB).absoluteString == "https://dynamodb.eu-west-1.amazonaws.com")
        #expect(publicOnes.endpoint(for: .sts).absoluteString == "https://sts.eu-west-1.amazonaws.com")

        let ignored = try await resolve(AWSFlags(), environment.merging(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) { $1 })
        #expect(ignored.endpoint(for: .dynamoDB).absoluteString == "https://dynamodb.eu-west-1.amazonaws.com")
    }

    @Test("an endpoint that is not an http(s) URL names its source")
    func badEndpoint() async throws {
        let error = await #expect(throws: AWSConfigurationError.self) {
            try await resolve(AWSFlags(), ["AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_S3": "ftp://nope"])
        }
        #expect(error?.description.contains("AWS_ENDPOINT_URL_S3") == true)
    }

    @Test("retries: AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, else the profile, else standard x3")
    func retry() async throws {
        let fromEnvironment = try await resolve(AWSFlags(), ["AWS_REGION": "eu-west-1", "AWS_RETRY_MODE": "adaptive",
                                                             "AWS_MAX_ATTEMPTS": "5"])
        #expect(fromEnvironment.retry.mode == .adaptive)
        #expect(fromEnvironment.retry.maxAttempts == 5)
        let fromProfile = try await resolve(AWSFlags(), ["AWS_PROFILE": "dev"])
        #expect(fromProfile.retry.mode == .adaptive)
        #expect(fromProfile.retry.maxAttempts == 7)
        let environmentOverProfile = try await resolve(AWSFlags(), ["AWS_PROFILE": "dev", "AWS_MAX_ATTEMPTS": "2"])
        #expect(environmentOverProfile.retry.maxAttempts == 2)
        let defaults = try await resolve(AWSFlags(), ["AWS_REGION": "eu-west-1"])
        #expect(defaults.retry.mode == .standard)
        #expect(defaults.retry.maxAttempts == 3)
        await #expect(throws: AWSConfigurationError.self) {
            try await resolve(AWSFlags(), ["AWS_REGION": "eu-west-1", "AWS_MAX_ATTEMPTS": "many"])
        }
    }

    @Test("CA bundle: AWS_CA_BUNDLE, else the profile's ca_bundle, else none; it reaches the transport's settings")
    func caBundle() async throws {
        let fromEnvironment = try await resolve(AWSFlags(), ["AWS_PROFILE": "dev", "AWS_CA_BUNDLE": "/etc/ca.pem"])
        #expect(fromEnvironment.caBundle == "/etc/ca.pem")
        #expect(fromEnvironment.transport.caBundle == "/etc/ca.pem")
        let fromProfile = try await resolve(AWSFlags(), ["AWS_PROFILE": "dev"])
        #expect(fromProfile.caBundle == "/etc/dev/ca.pem")
        let none = try await resolve(AWSFlags(), ["AWS_REGION": "eu-west-1"])
        #expect(none.caBundle == nil)
        #expect(none.transport.caBundle == nil)
    }

    @Test("an explicitly selected profile that does not exist is an error")
    func missingProfile() async throws {
        let fromFlag = await #expect(throws: AWSConfigurationError.self) {
            try await resolve(AWSFlags(profile: "nope"), ["AWS_REGION": "eu-west-1"])
        }
        #expect(fromFlag?.description.contains("profile 'nope' (from --profile) not found") == true)
        let fromEnvironment = await #expect(throws: AWSConfigurationError.self) {
            try await resolve(AWSFlags(), ["AWS_REGION": "eu-west-1", "AWS_PROFILE": "nope"])
        }
        #expect(fromEnvironment?.description.contains("AWS_PROFILE") == true)
    }

    @Test("half of an explicit key pair is an error")
    func halfExplicitKeys() async throws {
        await #expect(throws: AWSConfigurationError.self) {
            try await resolve(AWSFlags(accessKeyId: "AKID"), ["AWS_REGION": "eu-west-1"])
        }
    }

    @Test("the factory builds clients at the resolved endpoints, sharing one transport and one credential cache")
    func factory() async throws {
        let configuration = try await resolve(AWSFlags(), [
            "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_RETRY_MODE": "adaptive",
        ])
        try await HTTP1Transport.withTransport { transport in
            let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: testLogger)
            let counters = RequestCounters()
            let dynamo = factory.client(for: .dynamoDB, counters: counters)
            let kms = factory.client(for: .kms)
            #expect(dynamo.endpoint.absoluteString == "http://127.0.0.1:8000")
            #expect(kms.endpoint.absoluteString == "http://127.0.0.1:5000")
            #expect(dynamo.region == "eu-west-1")
            #expect(dynamo.retry.mode == .adaptive)
            let transportID = ObjectIdentifier(transport)
            let sameCounters = ObjectIdentifier(dynamo.counters) == ObjectIdentifier(counters)
            let sameTransport = ObjectIdentifier(dynamo.transport as AnyObject) == transportID
                && ObjectIdentifier(kms.transport as AnyObject) == transportID
            let sameCredentials = ObjectIdentifier(dynamo.credentials as AnyObject) == ObjectIdentifier(kms.credentials as AnyObject)
            let isCache = dynamo.credentials is ExpiringCredentialProvider
            #expect(sameCounters)
            #expect(sameTransport)
            #expect(sameCredentials)
            #expect(isCache)
        }
    }
}
