import AWSBackend
import AWSClients
import Foundation
import Testing
import TestSupport
import UserVaultCore

/// KMS and the tagging API failing as services (throttling, 5xx, the network) after the retries
/// reach the jobs as ``ServiceFailure``s naming the service — never as answers about a key — while
/// KMS's answers about a key keep their own meaning.
@Suite("AWS failures: service failures versus answers about a key")
struct ServiceFailureMappingTests {
    static func keys(_ server: FaultServer, transport: any HTTPTransport) -> KMSKeyService {
        KMSKeyService(kms: KMSClient(server.client(.kms, transport: transport, retry: .withoutJitter(maxAttempts: 2))),
                      tagging: ResourceGroupsTaggingClient(server.client(.tagging, transport: transport,
                                                                         retry: .withoutJitter(maxAttempts: 2))))
    }

    @Test("the CreatedBy listing throttled beyond its retries is a service failure that names the tagging API",
          arguments: [Fault.throttle(code: "ThrottlingException"), .status(503), .reset])
    func taggingListing(fault: Fault) async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([], otherwise: fault) { server in
                do {
                    _ = try await Self.keys(server, transport: transport).keysTagged("CreatedBy")
                    Issue.record("the listing cannot succeed")
                } catch {
                    let failure = try #require(ServiceFailure(error), "\(fault): \(error)")
                    #expect(failure.detail.hasPrefix("tagging GetResources failed"), "\(failure.detail)")
                    #expect(!failure.detail.contains("KMS"), "a tagging failure does not blame KMS: \(failure.detail)")
                }
                #expect(server.requestCount == 2, "the client's own retries came first")
            }
        }
    }

    @Test("a ReEncrypt that meets 5xx or resets is a service failure; AccessDenied or InvalidCiphertext is an answer")
    func reEncrypt() async throws {
        let request = ReEncryptRequest(ciphertext: Data([1, 2, 3]), sourceKeyId: "k", sourceContext: [:],
                                       destinationKeyId: "k", destinationContext: [:])
        try await HTTP1Transport.withTransport { transport in
            for fault in [Fault.status(500), .reset, .truncated, .throttle(code: "ThrottlingException")] {
                try await withFaultServer([], otherwise: fault) { server in
                    let results = await Self.keys(server, transport: transport).reEncrypt(all: [request, request, request])
                    for case .failure(let error) in results {
                        #expect(ServiceFailure(error)?.detail.hasPrefix("kms ReEncrypt failed") == true, "\(fault): \(error)")
                    }
                }
            }
            for code in ["AccessDeniedException", "InvalidCiphertextException", "IncorrectKeyException"] {
                try await withFaultServer([], otherwise: .error(status: 400, code: code)) { server in
                    let results = await Self.keys(server, transport: transport).reEncrypt(all: [request])
                    guard case .failure(let error) = results[0] else { Issue.record("\(code) is an error"); return }
                    #expect(ServiceFailure(error) == nil, "\(code) is an answer about the key, not a service failure")
                    #expect(error is KeyServiceError)
                }
            }
        }
    }

    @Test("after the first service failure in a batch, the rest of it is not sent")
    func batchStopsEarly() async throws {
        let request = ReEncryptRequest(ciphertext: Data([1, 2, 3]), sourceKeyId: "k", sourceContext: [:],
                                       destinationKeyId: "k", destinationContext: [:])
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([], otherwise: .status(503)) { server in
                let results = await Self.keys(server, transport: transport).reEncrypt(all: Array(repeating: request, count: 200))
                #expect(results.count == 200)
                #expect(results.allSatisfy { if case .failure(let error) = $0 { ServiceFailure(error) != nil } else { false } })
                #expect(server.requestCount < 2 * 32, "at most the requests in flight, with their retries: \(server.requestCount)")
            }
        }
    }
}
