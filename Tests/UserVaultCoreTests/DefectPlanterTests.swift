import Foundation
import Testing
@testable import UserVaultCore

@Suite("Planted defects")
struct DefectPlanterTests {
    /// A moto ciphertext: the key id in ASCII, then a 12-byte IV, the sealed bytes and a 16-byte tag.
    static func motoLike(ivAndRest: [UInt8]) -> Data {
        Data("0d7b5f2c-aaaa-bbbb-cccc-123456789012".utf8) + Data(ivAndRest)
    }

    @Test("a truncated ciphertext never reads as text, even when its first half is all printable")
    func truncatedIsNeverText() {
        // Half of 80 bytes is 40: the key id and four printable IV bytes. The cut goes on to the
        // first byte that is not printable.
        let blob = Self.motoLike(ivAndRest: [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x01] + Array(repeating: 0x7F, count: 37))
        let cut = DefectPlanter.truncated(blob)
        #expect(cut.count == 43 && cut.count < blob.count)
        #expect(cut.contains { !(0x20...0x7E).contains($0) })
        #expect(blob.starts(with: cut))

        // A first half with binary bytes in it is simply cut in half.
        let binary = Data((0..<64).map { UInt8($0) })
        #expect(DefectPlanter.truncated(binary) == binary.prefix(32))
    }
}
