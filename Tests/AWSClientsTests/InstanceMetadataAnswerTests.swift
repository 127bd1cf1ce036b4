@testable import AWSClients
import Foundation
import Testing
import TestSupport

/// IMDSv2 answers that cannot give credentials, from a loopback stand-in: each step's refusal or
/// unusable answer is one error naming the step, "not configured" only where the chain should
/// go on (no token: not on EC2), and the endpoint settings that choose where to ask.
@Suite("IMDSv2: unusable answers and endpoint settings")
struct InstanceMetadataAnswerTests {
    /// One broken step: the stand-in's answer to the token, the role name and the credentials.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var token: CredentialEndpointResponse
        var role = CredentialEndpointResponse(body: "app-role\n")
        var credentials = CredentialEndpointResponse(status: 403)
        var notConfigured: Bool
        /// The error's description after "instance metadata: ".
        var reason: String
        /// How many role-name requests the provider sends (a 5xx is tried once more).
        var roleRequests = 1
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "token refused", token: .init(status: 403), notConfigured: true,
             reason: "token request refused (HTTP 403) at {endpoint}", roleRequests: 0),
        Case(name: "empty token", token: .init(body: " \n"), notConfigured: false, reason: "the token answer is unusable",
             roleRequests: 0),
        Case(name: "token of two lines", token: .init(body: "first\nsecond"), notConfigured: false,
             reason: "the token answer is unusable", roleRequests: 0),
        Case(name: "role request failing", token: .init(body: "tok"), role: .init(status: 500), notConfigured: false,
             reason: "role name request answered HTTP 500", roleRequests: 2),
        Case(name: "role name with a slash", token: .init(body: "tok"), role: .init(body: "../admin\n"), notConfigured: false,
             reason: "no usable role name in the answer"),
        Case(name: "credentials refused", token: .init(body: "tok"), notConfigured: false,
             reason: "credentials request for role app-role answered HTTP 403"),
    ]

    @Test("each step's refusal or unusable answer is one error naming it", arguments: cases)
    func unusableAnswer(_ broken: Case) async throws {
        try await withCredentialEndpointServer(handler: { request in
            switch request.path {
            case "/latest/api/token": return broken.token
            case "/latest/meta-data/iam/security-credentials/": return broken.role
            default: return broken.credentials
            }
        }) { server in
            try await HTTP1Transport.withTransport { transport in
                let provider = InstanceMetadataCredentialProvider(
                    environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint], transport: transport,
                    timeout: .seconds(20))
                let error = await #expect(throws: CredentialError.self) {
                    try await provider.credentials(logger: testLogger)
                }
                let reason = broken.reason.replacingOccurrences(of: "{endpoint}", with: server.endpoint)
                #expect(error?.description == "instance metadata: \(reason)")
                #expect(error?.isNotConfigured == broken.notConfigured)
                let roleRequests = server.requests.filter { $0.path == "/latest/meta-data/iam/security-credentials/" }
                #expect(roleRequests.count == broken.roleRequests)
            }
        }
    }

    @Test("the endpoint: the default, IPv6 mode, a configured URL without its trailing slashes, anything else refused")
    func endpoints() async throws {
        try await HTTP1Transport.withTransport { transport in
            func provider(_ environment: [String: String]) -> InstanceMetadataCredentialProvider {
                InstanceMetadataCredentialProvider(environment: environment, transport: transport)
            }
            #expect(provider([:]).description == "instance metadata (http://169.254.169.254)")
            #expect(provider(["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"]).description
                    == "instance metadata (http://[fd00:ec2::254])")
            #expect(provider(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9//"]).description
                    == "instance metadata (http://127.0.0.1:9)")
            for bad in ["ftp://127.0.0.1/", "not a url", "http://"] {
                let refused = provider(["AWS_EC2_METADATA_SERVICE_ENDPOINT": bad])
                #expect(refused.description == "instance metadata: AWS_EC2_METADATA_SERVICE_ENDPOINT is not an http(s) URL",
                        "\(bad)")
                let error = await #expect(throws: CredentialError.self) { try await refused.credentials(logger: testLogger) }
                #expect(error?.isNotConfigured == false, "a wrong setting stops the chain: \(bad)")
            }
            let disabled = provider(["AWS_EC2_METADATA_DISABLED": "true", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "ftp://x"])
            #expect(disabled.description == "instance metadata: disabled by AWS_EC2_METADATA_DISABLED")
        }
    }
}
