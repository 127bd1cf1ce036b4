@testable import AWSClients
import Foundation
import Testing
import TestSupport

@Suite("Container credentials and IMDSv2 against loopback stand-ins")
struct CredentialEndpointTests {
    static let served = StandInCredentials(accessKeyId: "AKIDSERVED", secretAccessKey: "served-secret",
                                           token: "served-token", expiration: fixedExpiration)

    @Test("container credentials send the authorization token from the token file")
    func containerWithTokenFile() async throws {
        try await withCredentialEndpointServer(handler: CredentialEndpointBehaviour.container(
            path: "/v1/credentials", authorization: "Bearer pod-identity-token", credentials: Self.served)) { server in
            try await TemporaryDirectory.with { directory in
                let tokenFile = try directory.write("token", "Bearer pod-identity-token\n")
                try await HTTP1Transport.withTransport { transport in
                    let provider = ContainerCredentialProvider(environment: [
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint + "/v1/credentials",
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-when-the-file-is-set",
                    ], transport: transport, timeout: .seconds(20))
                    let credentials = try await provider.credentials(logger: testLogger)
                    #expect(credentials.accessKeyId == "AKIDSERVED")
                    #expect(credentials.secretAccessKey == "served-secret")
                    #expect(credentials.sessionToken == "served-token")
                    #expect(credentials.expiration == fixedExpiration)
                    #expect(server.requests.map(\.path) == ["/v1/credentials"])
                    #expect(server.requests.first?.header("authorization") == "Bearer pod-identity-token")
                }
            }
        }
    }

    @Test("container credentials with the token variable; a wrong token stops the chain")
    func containerWithTokenVariable() async throws {
        try await withCredentialEndpointServer(handler: CredentialEndpointBehaviour.container(
            path: "/creds", authorization: "right-token", credentials: Self.served)) { server in
            try await TemporaryDirectory.with { home in
                try await HTTP1Transport.withTransport { transport in
                    var environment = noInstanceMetadata
                    environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.endpoint + "/creds"
                    environment["AWS_METADATA_SERVICE_TIMEOUT"] = "30"  // a busy machine is not "no answer"
                    environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "right-token"
                    let credentials = try await resolveCredentials(environment: environment, home: home, transport: transport)
                    #expect(credentials.accessKeyId == "AKIDSERVED")

                    environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong-token"
                    let error = await #expect(throws: CredentialError.self) {
                        try await resolveCredentials(environment: environment, home: home, transport: transport)
                    }
                    #expect(error?.isNotConfigured == false)
                    #expect(error?.description == "container: the endpoint answered HTTP 401")
                    #expect(error?.description.contains("wrong-token") == false)
                }
            }
        }
    }

    @Test("container full URIs over plain http must be loopback or the ECS/EKS addresses", arguments: [
        ("http://127.0.0.1:1/creds", true), ("http://localhost/creds", true), ("http://[::1]:8080/x", true),
        ("http://169.254.170.2/v2/credentials", true), ("http://169.254.170.23/v1/credentials", true),
        ("https://creds.example.com/x", true), ("http://creds.example.com/x", false), ("http://10.0.0.1/x", false),
    ])
    func fullURIRules(uri: String, allowed: Bool) async throws {
        try await HTTP1Transport.withTransport { transport in
            let provider = ContainerCredentialProvider(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": uri],
                                                       transport: transport)
            switch provider.configuration {
            case .success: #expect(allowed)
            case .failure(let error):
                #expect(!allowed)
                #expect(!error.isNotConfigured)
            }
        }
    }

    @Test("the relative URI is resolved against 169.254.170.2")
    func relativeURI() async throws {
        try await HTTP1Transport.withTransport { transport in
            let provider = ContainerCredentialProvider(
                environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"], transport: transport)
            let url = try provider.configuration.get().url
            #expect(url.absoluteString == "http://169.254.170.2/v2/credentials/abc")
        }
    }

    @Test("IMDSv2: a token first, then the role, then its credentials, each with the token")
    func instanceMetadata() async throws {
        try await withCredentialEndpointServer(handler: CredentialEndpointBehaviour.instanceMetadata(
            token: "imds-session-token", role: "app-instance-role", credentials: Self.served)) { server in
            try await HTTP1Transport.withTransport { transport in
                // A generous timeout: a busy test machine must not turn a slow stand-in into "no answer".
                let provider = InstanceMetadataCredentialProvider(
                    environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint + "/"], transport: transport,
                    timeout: .seconds(20))
                let credentials = try await provider.credentials(logger: testLogger)
                #expect(credentials.accessKeyId == "AKIDSERVED")
                #expect(credentials.sessionToken == "served-token")
                #expect(credentials.expiration == fixedExpiration)

                let requests = server.requests
                #expect(requests.map { "\($0.method) \($0.path)" } == [
                    "PUT /latest/api/token",
                    "GET /latest/meta-data/iam/security-credentials/",
                    "GET /latest/meta-data/iam/security-credentials/app-instance-role",
                ])
                #expect(requests.first?.header("x-aws-ec2-metadata-token-ttl-seconds") == "21600")
                #expect(requests.dropFirst().allSatisfy { $0.header("x-aws-ec2-metadata-token") == "imds-session-token" })
            }
        }
    }

    @Test("IMDS with no role attached is not configured")
    func instanceMetadataWithoutRole() async throws {
        try await withCredentialEndpointServer(handler: { request in
            request.path == "/latest/api/token" ? .init(body: "tok") : .init(status: 404)
        }) { server in
            try await HTTP1Transport.withTransport { transport in
                let provider = InstanceMetadataCredentialProvider(
                    environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint], transport: transport,
                    timeout: .seconds(20))
                let error = await #expect(throws: CredentialError.self) {
                    try await provider.credentials(logger: testLogger)
                }
                #expect(error?.isNotConfigured == true)
                #expect(error?.description == "instance metadata: no instance role attached")
            }
        }
    }

    /// The requests `server` received on the metadata endpoints' paths, as "METHOD path". A
    /// request from another process whose endpoint was a server that used this port before
    /// (a child still retrying) is not one of ours; the message lists everything received.
    static func metadataRequests(_ server: FaultServer) -> [String] {
        server.requests.filter { $0.uri.hasPrefix("/latest/") || $0.uri.hasPrefix("/creds") }.map { "\($0.method) \($0.uri)" }
    }

    static func received(_ server: FaultServer) -> Comment {
        "received: \(server.requests.map { "\($0.method) \($0.uri)" })"
    }

    // The two tests below count requests at a stand-in that never answers in time. They use the
    // fault server: it records a request on its event loop as it arrives, so a test machine too
    // busy to run Swift tasks promptly cannot make a request arrive "late" and go uncounted. Its
    // answers come after two minutes, not a few seconds: AsyncHTTPClient enforces a deadline from
    // a Swift task, which a busy machine may run seconds late, and a late deadline must not let
    // the answer in first.

    @Test("IMDS that is too slow times out after about a second, retried once, and is skipped")
    func instanceMetadataTimeout() async throws {
        try await withFaultServer([], otherwise: .slow(.seconds(120))) { server in
            try await HTTP1Transport.withTransport { transport in
                let provider = InstanceMetadataCredentialProvider(
                    environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint.absoluteString], transport: transport)
                // Had the 1 s timeout not worked, the late answers would have been taken as a
                // token, a role and a (broken) credentials document: a different error.
                let error = await #expect(throws: CredentialError.self) {
                    try await provider.credentials(logger: testLogger)
                }
                #expect(error?.isNotConfigured == true)
                #expect(error?.description.hasPrefix("instance metadata: no answer from") == true)
                #expect(Self.metadataRequests(server) == ["PUT /latest/api/token", "PUT /latest/api/token"], Self.received(server))
            }
        }
    }

    @Test("AWS_METADATA_SERVICE_TIMEOUT and _NUM_ATTEMPTS set the wait and the attempts of both endpoints")
    func metadataServiceSettings() async throws {
        try await withFaultServer([], otherwise: .slow(.seconds(120))) { server in
            try await HTTP1Transport.withTransport { transport in
                let instance = InstanceMetadataCredentialProvider(environment: [
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint.absoluteString,
                    "AWS_METADATA_SERVICE_TIMEOUT": "0.3", "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "3",
                ], transport: transport)
                let instanceError = await #expect(throws: CredentialError.self) {
                    try await instance.credentials(logger: testLogger)
                }
                #expect(instanceError?.isNotConfigured == true)
                #expect(Self.metadataRequests(server) == Array(repeating: "PUT /latest/api/token", count: 3), Self.received(server))

                let container = ContainerCredentialProvider(environment: [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint.absoluteString + "/creds",
                    "AWS_METADATA_SERVICE_TIMEOUT": "0.3", "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "1",
                ], transport: transport)
                let containerError = await #expect(throws: CredentialError.self) {
                    try await container.credentials(logger: testLogger)
                }
                #expect(containerError?.description.hasPrefix("container: no answer from the credentials endpoint") == true)
                #expect(Self.metadataRequests(server) == Array(repeating: "PUT /latest/api/token", count: 3) + ["GET /creds"],
                        Self.received(server))
            }
        }
    }

    @Test("unusable metadata settings are errors that stop the chain, not silent defaults", arguments: [
        ("AWS_METADATA_SERVICE_TIMEOUT", "0"), ("AWS_METADATA_SERVICE_TIMEOUT", "-1"),
        ("AWS_METADATA_SERVICE_TIMEOUT", "one"), ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "0"),
        ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1.5"), ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "11"),
    ])
    func unusableMetadataSettings(variable: String, value: String) async throws {
        try await HTTP1Transport.withTransport { transport in
            let instance = InstanceMetadataCredentialProvider(
                environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1", variable: value],
                transport: transport)
            let container = ContainerCredentialProvider(
                environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds", variable: value],
                transport: transport)
            for provider in [instance, container] as [any CredentialProvider] {
                let error = await #expect(throws: CredentialError.self) {
                    try await provider.credentials(logger: testLogger)
                }
                #expect(error?.isNotConfigured == false)
                #expect(error?.description.contains("\(variable) must be") == true, "\(error?.description ?? "")")
            }
        }
    }

    @Test("IMDS can be disabled", arguments: ["true", "TRUE"])
    func disabled(value: String) async throws {
        try await HTTP1Transport.withTransport { transport in
            let provider = InstanceMetadataCredentialProvider(
                environment: ["AWS_EC2_METADATA_DISABLED": value, "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"],
                transport: transport)
            let error = await #expect(throws: CredentialError.self) {
                try await provider.credentials(logger: testLogger)
            }
            #expect(error?.description == "instance metadata: disabled by AWS_EC2_METADATA_DISABLED")
        }
    }
}
