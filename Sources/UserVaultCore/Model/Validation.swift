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
    /// Normalised (``EmailGuard/normalize(_:)``: trimmed, NFC, lowercased): emails compare
    /// case-insensitively and by canonical equivalence.
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
/// Names, username and email are trimmed (white space and newlines) before they are checked.
/// Lengths of names, username and password are in user-perceived characters (`Character`s: an
/// emoji or a letter with combining marks is one); an email's, as in RFC 5321/6531, in bytes of
/// UTF-8.
///
/// - Names: 1–100 characters after trimming, no control characters.
/// - Username: 3–64 characters of `A–Z a–z 0–9 . _ -`.
/// - Email: an internationalised `addr-spec` (RFC 6531) without its rarely used forms: at most
///   254 bytes; a local part of 1–64 bytes in dot-separated non-empty runs of `atext`
///   (`A–Z a–z 0–9 ! # $ % & ' * + - / = ? ^ _ \` { | } ~`) and printable non-ASCII characters
///   (letters, marks, numbers, punctuation, symbols: `søren.x`); a domain of at least two
///   dot-separated labels of 1–63 bytes of ASCII letters, digits and hyphens or non-ASCII
///   letters, marks and digits (IDN labels as given, `bücher.de`; a top-level label may be all
///   digits, `example.123`), not starting or ending with a hyphen. No quoted local parts,
///   comments, IP literals, or a domain of digits only (`1.2.3.4`).
/// - Password (`credentials`): 8–1024 characters, not trimmed; never echoed in an error.
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

    /// The password rule alone (``passwordLength``, not trimmed), as ``validate(_:)`` applies it:
    /// for a new password of an existing user (``UserService/setPassword(userId:password:logger:)``).
    public static func validatePassword(_ password: String?) -> Result<String, ValidationFailure> {
        var violations: [FieldViolation] = []
        guard let valid = checkPassword(password, into: &violations) else { return .failure(ValidationFailure(violations: violations)) }
        return .success(valid)
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

    /// The internationalised address documented on ``UserValidation`` (give it normalised).
    public static func isValidEmail(_ email: String) -> Bool {
        EmailSyntax.isValid(email, maxBytes: emailMaxLength)
    }

    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

/// Every field that failed validation, at once.
public struct ValidationFailure: Error, Sendable, Hashable {
    public var violations: [FieldViolation]
}
