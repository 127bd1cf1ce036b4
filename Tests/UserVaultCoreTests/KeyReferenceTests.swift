import Crypto
import Foundation
import Testing
import UserVaultCore

@Suite("Key references and hex digests")
struct KeyReferenceTests {
    static let references = [
        "arn:aws:kms:us-east-1:123456789012:key/0d7b5f2c-aaaa-bbbb-cccc-123456789012",
        "arn:aws:kms:eu-west-1:210987654321:key/0d7b5f2c-aaaa-bbbb-cccc-123456789012",
        "0d7b5f2c-aaaa-bbbb-cccc-123456789012", "0d7b5f2c-aaaa-bbbb-cccc-123456789013",
        "arn:aws:kms:local:000000000000:key/k", "k", "arn:aws:kms:us-east-1:123456789012:key/",
        "arn:aws:kms:us-east-1:123456789012:alias/users", "alias/users", "",
    ]

    @Test("sameKey is bareKeyId equality, for every pair of references")
    func sameKey() {
        var same = 0
        for first in Self.references {
            for second in Self.references {
                let expected = KeyReference.bareKeyId(first) == KeyReference.bareKeyId(second)
                #expect(KeyReference.sameKey(first, second) == expected, "\(first) vs \(second)")
                if expected && first != second { same += 1 }
            }
        }
        #expect(same == 8, "ARN and bare id pairs in both orders: 3 of one key, 2 of k")
    }

    @Test("a key ARN gives its id; a bare id, an alias and anything else stay as they are", arguments: [
        ("arn:aws:kms:us-east-1:123456789012:key/0d7b5f2c-aaaa-bbbb-cccc-123456789012", "0d7b5f2c-aaaa-bbbb-cccc-123456789012"),
        ("arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd", "mrk-1234abcd"),
        ("arn:aws:kms:local:000000000000:key/k", "k"),
        ("0d7b5f2c-aaaa-bbbb-cccc-123456789012", "0d7b5f2c-aaaa-bbbb-cccc-123456789012"),
        ("arn:aws:kms:us-east-1:123456789012:alias/users", "arn:aws:kms:us-east-1:123456789012:alias/users"),
        ("arn:aws:kms:us-east-1:123456789012:key/", "arn:aws:kms:us-east-1:123456789012:key/"),
        ("alias/users", "alias/users"),
        ("", ""),
    ])
    func bareKeyId(reference: String, expected: String) {
        #expect(KeyReference.bareKeyId(reference) == expected)
    }

    @Test("hex is lower case, two digits a byte, from any byte sequence")
    func hex() {
        #expect(Hex.lowercase([0x00, 0x0F, 0xF0, 0xFF, 0x5A]) == "000ff0ff5a")
        #expect(Hex.lowercase([UInt8]()) == "")
        #expect(Hex.lowercase(SHA256.hash(data: Data("abc".utf8)))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.lowercase(SHA256.hash(data: Data("abc".utf8)).prefix(4)) == "ba7816bf")
    }
}
