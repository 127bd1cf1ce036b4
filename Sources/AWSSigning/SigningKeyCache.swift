import Crypto
import Synchronization

/// Remembers the last derived SigV4 signing key, so that a client signing thousands of requests
/// a second runs the four-HMAC derivation once per day, region, service and credentials instead
/// of once per request.
///
/// ```swift
/// let cache = SigningKeyCache()
/// var signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "kms")
/// signer.keyCache = cache
/// ```
///
/// The key is derived from the secret and is kept only in memory, like the secret itself.
public final class SigningKeyCache: Sendable {
    private struct Entry: Sendable {
        var accessKeyId: String
        var secretAccessKey: String
        var dateStamp: String
        var region: String
        var service: String
        /// An HMAC already keyed with the signing key: each signature copies it (copy-on-write)
        /// instead of keying a new one, which hashed the padded key twice per request.
        var mac: KeyedMAC
    }

    /// `HMAC` is not `Sendable`; the cached one is only ever copied, never mutated in place.
    struct KeyedMAC: @unchecked Sendable {
        var mac: HMAC<SHA256>
    }

    private let last = Mutex<Entry?>(nil)

    public init() {}

    /// An HMAC keyed with the cached key for these inputs, or with the one `derive` returns
    /// (which is then cached).
    func mac(credentials: AWSCredentials, dateStamp: String, region: String, service: String,
             derive: () -> SymmetricKey) -> HMAC<SHA256> {
        let hit = last.withLock { entry -> KeyedMAC? in
            guard let entry, entry.dateStamp == dateStamp, entry.accessKeyId == credentials.accessKeyId,
                  entry.secretAccessKey == credentials.secretAccessKey, entry.region == region, entry.service == service
            else { return nil }
            return entry.mac
        }
        if let hit { return hit.mac }
        let mac = HMAC<SHA256>(key: derive())
        last.withLock {
            $0 = Entry(accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
                       dateStamp: dateStamp, region: region, service: service, mac: KeyedMAC(mac: mac))
        }
        return mac
    }
}
