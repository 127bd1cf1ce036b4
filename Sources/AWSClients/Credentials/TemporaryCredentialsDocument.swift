import AWSSigning
import Foundation

/// The JSON that container endpoints, instance metadata and `credential_process` answer with:
/// `AccessKeyId`, `SecretAccessKey`, `Token` or `SessionToken`, `Expiration` (ISO 8601).
struct TemporaryCredentialsDocument: Decodable {
    var Version: Int?
    var Code: String?
    var AccessKeyId: String?
    var SecretAccessKey: String?
    var Token: String?
    var SessionToken: String?
    var Expiration: String?

    /// Parses `data` into credentials; `provider` names the source in errors, which never quote
    /// the document (it holds the secret).
    static func credentials(from data: Data, provider: String, requireVersion1: Bool = false,
                            requireExpiration: Bool = false) throws -> AWSCredentials {
        let document: TemporaryCredentialsDocument
        do {
            document = try JSONDecoder().decode(TemporaryCredentialsDocument.self, from: data)
        } catch {
            throw CredentialError.invalid(provider, "the answer is not a JSON credentials document")
        }
        if requireVersion1 && document.Version != 1 {
            throw CredentialError.invalid(provider, "the answer's Version must be 1 (got \(document.Version.map(String.init) ?? "none"))")
        }
        if let code = document.Code, code != "Success" {
            throw CredentialError.invalid(provider, "the answer's Code is \(code.prefix(64))")
        }
        guard let keyId = document.AccessKeyId, !keyId.isEmpty,
              let secret = document.SecretAccessKey, !secret.isEmpty else {
            throw CredentialError.invalid(provider, "the answer lacks AccessKeyId or SecretAccessKey")
        }
        var expiration: Date?
        if let text = document.Expiration {
            guard let date = ISO8601.date(text) else {
                throw CredentialError.invalid(provider, "the answer's Expiration is not an ISO 8601 date")
            }
            expiration = date
        } else if requireExpiration {
            throw CredentialError.invalid(provider, "the answer lacks Expiration")
        }
        let token = document.Token ?? document.SessionToken
        return AWSCredentials(accessKeyId: keyId, secretAccessKey: secret,
                              sessionToken: token?.isEmpty == false ? token : nil, expiration: expiration)
    }
}

/// ISO 8601 timestamps as AWS writes them: `2024-05-01T12:00:00Z`, with or without fractional
/// seconds, `Z`, a `±hh:mm` / `±hhmm` offset or no zone (UTC). Parsed by hand: no formatter state, no locale.
enum ISO8601 {
    static func date(_ text: String) -> Date? {
        let bytes = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + digits)] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += digits
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
              let second = number(2) else { return nil }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                fraction += Double(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if expect("Zz") {
            offset = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = number(2) else { return nil }
            _ = expect(":")
            guard let minutes = number(2) else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        }  // No zone at all: UTC, as AWS means it.
        guard index == bytes.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
              second < 61 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour,
                                                            minute: minute, second: second)) else { return nil }
        return date.addingTimeInterval(fraction - Double(offset))
    }
}
