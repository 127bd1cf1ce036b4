import Crypto
import Foundation

/// Where a list page resumes: opaque to clients, tamper-evident (HMAC-SHA256).
public struct PageCursor: Sendable, Hashable, Codable {
    /// The id of the last user on the previous page.
    public var after: String
    /// The `filter[email]` the cursor was made for, if any: a cursor is only valid with it.
    public var email: String?

    public init(after: String, email: String? = nil) {
        self.after = after
        self.email = email
    }

    enum CodingKeys: String, CodingKey {
        case after = "a"
        case email = "e"
    }
}

/// Seals and opens ``PageCursor``s with a secret key.
///
/// Format: `base64url(json) "." base64url(HMAC-SHA256(key, json)[0..<16])`. Any change to
/// either half fails ``open(_:)``.
public struct PageCursorCodec: Sendable {
    private let secret: Data
    private var key: SymmetricKey { SymmetricKey(data: secret) }

    /// - Parameter secret: at least 32 bytes; the embedded store keeps one in its file, the AWS
    ///   backend takes it from configuration.
    public init(secret: Data) {
        precondition(secret.count >= 16, "cursor secret too short")
        self.secret = secret
    }

    public func seal(_ cursor: PageCursor) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let payload = (try? encoder.encode(cursor)) ?? Data()
        let mac = Data(HMAC<SHA256>.authenticationCode(for: payload, using: key)).prefix(16)
        return Base64URL.encode(payload) + "." + Base64URL.encode(mac)
    }

    /// The cursor, or `nil` when it was not made by this codec's key (tampered, truncated, foreign).
    public func open(_ token: String) -> PageCursor? {
        guard token.utf8.count <= 2048 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Base64URL.decode(String(parts[0])),
              let mac = Base64URL.decode(String(parts[1])), mac.count == 16
        else { return nil }
        let expected = Data(HMAC<SHA256>.authenticationCode(for: payload, using: key)).prefix(16)
        guard constantTimeEqual(expected, mac) else { return nil }
        return try? JSONDecoder().decode(PageCursor.self, from: payload)
    }

    private func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}

/// RFC 4648 §5 base64url without padding.
public enum Base64URL {
    public static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ string: String) -> Data? {
        guard string.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
