import Foundation

/// What a client sends to create a user.
public struct NewUserInput: Sendable {
    public var firstname: String?
    public var lastname: String?
    public var email: String?
    public var username: String?
    /// The plaintext password. Never logged, never stored as is.
    public var credentials: String?

    public init(firstname: String?, lastname: String?, email: String?, username: String?, credentials: String?) {
        self.firstname = firstname
        self.lastname = lastname
        self.email = email
        self.username = username
        self.credentials = credentials
    }
}

/// A validated new user: every field present, trimmed and within bounds.
public struct ValidatedUser: Sendable {
    public var firstname: String
    public var lastname: String
    /// Normalised (trimmed, lowercased): emails compare case-insensitively.
    public var email: String
    public var username: String
    public var password: String
}

/// One field that failed validation. `field` names the attribute, never its value.
public struct FieldViolation: Sendable, Hashable {
    public var field: String
    public var code: String
    public var detail: String

    public init(field: String, code: String, detail: String) {
        self.field = field
        self.code = code
        self.detail = detail
    }
}

/// The rules a new user must meet.
///
/// - Names: 1–100 characters after trimming, no control characters.
/// - Username: 3–64 characters of `A–Z a–z 0–9 . _ -`.
/// - Email: a documented subset of RFC 5322 `addr-spec`: at most 254 characters; a local part
///   of 1–64 `atext` characters (`A–Z a–z 0–9 ! # $ % & ' * + - / = ? ^ _ \` { | } ~`) in
///   dot-separated non-empty runs (no quoted strings, no comments); a domain of at least two
///   dot-separated labels of 1–63 letters, digits and hyphens, not starting or ending with a
///   hyphen (no IP literals).
/// - Password (`credentials`): 8–1024 characters; never echoed in an error.
public enum UserValidation {
    public static let nameLength = 1...100
    public static let usernameLength = 3...64
    public static let passwordLength = 8...1024
    public static let emailMaxLength = 254

    public static func validate(_ input: NewUserInput) -> Result<ValidatedUser, ValidationFailure> {
        var violations: [FieldViolation] = []
        let firstname = checkName(input.firstname, field: "firstname", into: &violations)
        let lastname = checkName(input.lastname, field: "lastname", into: &violations)
        let username = checkUsername(input.username, into: &violations)
        let email = checkEmail(input.email, into: &violations)
        let password = checkPassword(input.credentials, into: &violations)
        guard violations.isEmpty, let firstname, let lastname, let username, let email, let password else {
            return .failure(ValidationFailure(violations: violations))
        }
        return .success(
            ValidatedUser(firstname: firstname, lastname: lastname, email: email, username: username, password: password))
    }

    static func checkName(_ value: String?, field: String, into violations: inout [FieldViolation]) -> String? {
        guard let value else {
            violations.append(.init(field: field, code: "REQUIRED", detail: "\(field) is required"))
            return nil
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard nameLength.contains(trimmed.count) else {
            violations.append(.init(field: field, code: "INVALID_LENGTH",
                                    detail: "\(field) must be \(nameLength.lowerBound)–\(nameLength.upperBound) characters"))
            return nil
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            violations.append(.init(field: field, code: "INVALID_CHARACTERS", detail: "\(field) must not contain control characters"))
            return nil
        }
        return trimmed
    }

    static func checkUsername(_ value: String?, into violations: inout [FieldViolation]) -> String? {
        guard let value else {
            violations.append(.init(field: "username", code: "REQUIRED", detail: "username is required"))
            return nil
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard usernameLength.contains(trimmed.count),
              trimmed.unicodeScalars.allSatisfy({ $0.isASCII && (isAlphanumeric($0) || "._-".unicodeScalars.contains($0)) })
        else {
            violations.append(.init(
                field: "username", code: "INVALID_USERNAME",
                detail: "username must be \(usernameLength.lowerBound)–\(usernameLength.upperBound) characters of A–Z, a–z, 0–9, '.', '_' or '-'"))
            return nil
        }
        return trimmed
    }

    static func checkEmail(_ value: String?, into violations: inout [FieldViolation]) -> String? {
        guard let value else {
            violations.append(.init(field: "email", code: "REQUIRED", detail: "email is required"))
            return nil
        }
        let normalized = EmailGuard.normalize(value)
        guard isValidEmail(normalized) else {
            violations.append(.init(field: "email", code: "INVALID_EMAIL", detail: "email must be a valid address such as name@example.com"))
            return nil
        }
        return normalized
    }

    static func checkPassword(_ value: String?, into violations: inout [FieldViolation]) -> String? {
        guard let value else {
            violations.append(.init(field: "credentials", code: "REQUIRED", detail: "credentials is required"))
            return nil
        }
        guard passwordLength.contains(value.count) else {
            violations.append(.init(field: "credentials", code: "INVALID_LENGTH",
                                    detail: "credentials must be \(passwordLength.lowerBound)–\(passwordLength.upperBound) characters"))
            return nil
        }
        return value
    }

    /// The RFC 5322 subset documented on ``UserValidation``.
    public static func isValidEmail(_ email: String) -> Bool {
        guard email.utf8.count <= emailMaxLength else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard (1...64).contains(local.utf8.count) else { return false }
        let atextSymbols = "!#$%&'*+-/=?^_`{|}~".unicodeScalars
        for run in local.split(separator: ".", omittingEmptySubsequences: false) {
            guard !run.isEmpty,
                  run.unicodeScalars.allSatisfy({ $0.isASCII && (isAlphanumeric($0) || atextSymbols.contains($0)) })
            else { return false }
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.unicodeScalars.allSatisfy({ $0.isASCII && (isAlphanumeric($0) || $0 == "-") })
            else { return false }
        }
        // The top-level domain is not all digits (that would be an IP address).
        return !(labels.last!.allSatisfy(\.isNumber))
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

/// Every field that failed validation, at once.
public struct ValidationFailure: Error, Sendable, Hashable {
    public var violations: [FieldViolation]
}
