import Foundation
import Testing
@testable import EmbeddedStore

@Suite("The local ciphertext's associated data")
struct ContextEncodingTests {
    /// The fast path must be byte for byte what JSONEncoder (sorted keys) writes, or ciphertexts
    /// sealed before it would no longer open.
    @Test("the encryption context is encoded exactly as JSONEncoder with sorted keys does",
          arguments: [
              [:], ["userId": "7c9e6679-7425-40de-944b-e07fc1f90ae7"], ["b": "2", "a": "1", "c": "x.y:z@w_v-u"],
              ["userId": "with/slash"], ["quote": "say \"hi\""], ["tab": "a\tb"], ["é": "ü"], ["emoji": "🔑"],
          ])
    func canonical(context: [String: String]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(LocalCiphertext.canonicalJSON(context) == (try encoder.encode(context)))
    }

    @Test("a page's key ids sort with their owners' items (clustered like the scan)")
    func clusteredKeyIds() {
        let owners = (0..<200).map { _ in UUID().uuidString.lowercased() }
        let byHash = owners.sorted { SegmentHash.hash($0) < SegmentHash.hash($1) }
        let keys = byHash.map { SegmentHash.keyId(owner: $0) }
        #expect(keys == keys.sorted(), "key ids in the order of their owners' segment hashes")
        #expect(keys.allSatisfy { UUID(uuidString: $0) != nil })
        #expect(Set(owners.map { SegmentHash.keyId(owner: $0) }).count == owners.count)
    }
}
