import Testing
import UserVaultCore

@Suite("Validation")
struct ValidationTests {
    static func input(email: String? = "ada@example.com", firstname: String? = "Ada", lastname: String? = "Lovelace",
                      username: String? = "ada.l", credentials: String? = "correct horse battery") -> NewUserInput {
        NewUserInput(firstname: firstname, lastname: lastname, email: email, username: username, credentials: credentials)
    }

    @Test("accepts addresses in the documented RFC 6531 subset", arguments: [
        "ada@example.com", "a.b-c+tag@sub.example.co.uk", "x@a.io", "o'brien@example.ie", "ADA@EXAMPLE.COM",
        "user_{1}@host-name.example", "ådå@example.com", "a@example.123",
    ])
    func acceptsEmails(_ email: String) {
        #expect(UserValidation.isValidEmail(email.lowercased()))
    }

    @Test("rejects addresses outside it", arguments: [
        "", "plain", "@example.com", "ada@", "ada@example", "ada@@example.com", "a..b@example.com", ".ada@example.com",
        "ada.@example.com", "ada@-example.com", "ada@example-.com", "\"quoted\"@example.com", "ada@[127.0.0.1]",
        "ada@1.2.3.4", "ad a@example.com", "ada@exa_mple.com",
        String(repeating: "a", count: 65) + "@example.com",
        "a@" + String(repeating: "b", count: 64) + ".com",
        "a@" + Array(repeating: String(repeating: "c", count: 60), count: 5).joined(separator: ".") + ".com",
    ])
    func rejectsEmails(_ email: String) {
        #expect(!UserValidation.isValidEmail(email))
    }

    @Test("a valid user is trimmed and its email normalised")
    func normalises() throws {
        let result = UserValidation.validate(Self.input(email: "  Ada@Example.COM ", firstname: " Ada "))
        let user = try result.get()
        #expect(user.email == "ada@example.com")
        #expect(user.firstname == "Ada")
    }

    @Test("every failing field is reported at once, and no value is echoed")
    func reportsAllViolations() {
        let secret = "short"
        let result = UserValidation.validate(NewUserInput(
            firstname: "", lastname: nil, email: "nope", username: "a b", credentials: secret))
        guard case .failure(let failure) = result else {
            Issue.record("expected a validation failure")
            return
        }
        #expect(Set(failure.violations.map(\.field)) == ["firstname", "lastname", "email", "username", "credentials"])
        #expect(failure.violations.allSatisfy { !$0.detail.contains(secret) && !$0.detail.contains("nope") })
    }

    @Test("bounds are enforced", arguments: [
        input(firstname: String(repeating: "x", count: 101)),
        input(lastname: "bad\u{0007}name"),
        input(username: "ab"),
        input(username: String(repeating: "u", count: 65)),
        input(credentials: "1234567"),
        input(credentials: String(repeating: "p", count: 1025)),
    ])
    func bounds(_ input: NewUserInput) {
        #expect(throws: ValidationFailure.self) { try UserValidation.validate(input).get() }
    }
}
