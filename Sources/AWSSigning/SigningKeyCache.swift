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
        /// The key's bytes (`SymmetricKey` is not `Sendable`).
        var key: [UInt8]
    }

    private let last = Mutex<Entry?>(nil)

    public init() {}

    /// The cached key for these inputs, or the one `derive` returns (which is then cached).
    func key(credentials: AWSCredentials, dateStamp: String, region: String, service: String,
             derive: () -> SymmetricKey) -> SymmetricKey {
        let hit = last.withLock { entry -> [UInt8]? in
            guard let entry, entry.dateStamp == dateStamp, entry.accessKeyId == credentials.accessKeyId,
                  entry.secretAccessKey == credentials.secretAccessKey, entry.region == region, entry.service == service
            else { return nil }
            return entry.key
        }
        if let hit { return SymmetricKey(data: hit) }
        let derived = derive()
        let key = derived.withUnsafeBytes { Array($0) }
        last.withLock {
            $0 = Entry(accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
                       dateStamp: dateStamp, region: region, service: service, key: key)
        }
        return derived
    }
}
