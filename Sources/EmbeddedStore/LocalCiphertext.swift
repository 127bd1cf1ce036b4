import Crypto
import Foundation

/// The embedded key service's self-describing ciphertext.
///
/// ```
/// byte 0        version (0x01)
/// byte 1        L, the length of the key id
/// 2 ..< 2+L     key id (UTF-8)
/// +4            key material version, UInt32 big-endian (rotation keeps old versions)
/// +12           AES-GCM nonce
/// ...           ciphertext
/// last 16       AES-GCM tag
/// ```
/// The header and the canonical encryption context (JSON, sorted keys) are the AEAD's
/// associated data: a changed header, key id or context fails to open.
struct LocalCiphertext {
    static let version: UInt8 = 1
    static let nonceSize = 12
    static let tagSize = 16

    var keyId: String
    var materialVersion: UInt32
    /// Bytes 0 ..< 2+L+4: the header, part of the associated data.
    var header: Data
    /// The rest: nonce, ciphertext and tag, which is AES-GCM's own combined form.
    var combined: Data

    /// Parses without copying: the parts are slices of `blob` (they share its storage).
    init?(parsing blob: Data) {
        let blob = blob.startIndex == 0 ? blob : Data(blob)
        let count = blob.count
        guard count >= 2, blob[0] == Self.version else { return nil }
        let idLength = Int(blob[1])
        let headerLength = 2 + idLength + 4
        guard idLength > 0, count >= headerLength + Self.nonceSize + Self.tagSize,
              let keyId = String(validating: blob[2..<(2 + idLength)], as: UTF8.self)
        else { return nil }
        self.keyId = keyId
        materialVersion = blob[(2 + idLength)..<headerLength].reduce(0) { $0 << 8 | UInt32($1) }
        header = blob[0..<headerLength]
        combined = blob[headerLength...]
    }

    static func header(keyId: String, materialVersion: UInt32) -> Data {
        var header = Data([version, UInt8(keyId.utf8.count)])
        header.append(contentsOf: Array(keyId.utf8))
        header.append(contentsOf: withUnsafeBytes(of: materialVersion.bigEndian, Array.init))
        return header
    }

    /// Canonical JSON (sorted keys); one encoder for every call, as this runs per crypto operation.
    private static let contextEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static func associatedData(header: Data, context: [String: String]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(header.count + 64)
        bytes.append(contentsOf: header)
        appendCanonicalJSON(context, to: &bytes)
        return bytes
    }

    /// `JSONEncoder` with sorted keys, byte for byte; written out directly for the common case
    /// (keys and values of letters, digits and `-_.:@`, as in `{"userId":"<uuid>"}`), which runs
    /// on every crypto operation, and through the encoder for anything else.
    static func canonicalJSON(_ context: [String: String]) -> Data {
        var bytes: [UInt8] = []
        appendCanonicalJSON(context, to: &bytes)
        return Data(bytes)
    }

    /// ``canonicalJSON(_:)`` appended to `data`, byte by byte in the common case.
    static func appendCanonicalJSON(_ context: [String: String], to data: inout [UInt8]) {
        func plain(_ text: String) -> Bool {
            text.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x3A || byte == 0x40
            }
        }
        guard context.allSatisfy({ plain($0.key) && plain($0.value) }) else {
            data.append(contentsOf: (try? contextEncoder.encode(context)) ?? Data())
            return
        }
        let quote = UInt8(ascii: "\"")
        data.append(UInt8(ascii: "{"))
        for (index, key) in context.keys.sorted().enumerated() {
            if index > 0 { data.append(UInt8(ascii: ",")) }
            data.append(quote)
            data.append(contentsOf: key.utf8)
            data.append(contentsOf: [quote, UInt8(ascii: ":"), quote])
            data.append(contentsOf: (context[key] ?? "").utf8)
            data.append(quote)
        }
        data.append(UInt8(ascii: "}"))
    }

    static func seal(_ plaintext: Data, keyId: String, materialVersion: UInt32, material: Data,
                     context: [String: String]) throws -> Data {
        let header = header(keyId: keyId, materialVersion: materialVersion)
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: material),
                                   authenticating: associatedData(header: header, context: context))
        var blob = Data(capacity: header.count + nonceSize + plaintext.count + tagSize)
        blob.append(header)
        box.nonce.withUnsafeBytes { blob.append(contentsOf: $0) }
        blob.append(box.ciphertext)
        blob.append(box.tag)
        return blob
    }

    /// - Returns: the plaintext, or `nil` when the blob, key or context do not match.
    func open(material: Data, context: [String: String]) -> Data? {
        guard let box = try? AES.GCM.SealedBox(combined: combined) else { return nil }
        return try? AES.GCM.open(box, using: SymmetricKey(data: material),
                                 authenticating: Self.associatedData(header: header, context: context))
    }
}
