import Foundation

/// RFC 3986 percent-encoding for the paths and query strings the API reads and writes.
enum PercentEncoding {
    /// `ALPHA / DIGIT / "-" / "." / "_" / "~"`: everything else is encoded.
    private static let unreserved: CharacterSet = {
        var set = CharacterSet()
        set.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return set
    }()

    /// Encodes every character but the unreserved ones (so `[`, `]`, `+`, `@` and `/` are encoded).
    static func encode(_ string: String) -> String {
        string.addingPercentEncoding(withAllowedCharacters: unreserved) ?? string
    }

    /// Decodes `%XX` escapes; `nil` when an escape is malformed or the bytes are not UTF-8.
    /// A `+` stays a `+` (it is not form encoding: `+` is common in email addresses).
    static func decode(_ string: Substring) -> String? {
        guard string.contains("%") else { return String(string) }
        return String(string).removingPercentEncoding
    }
}
