import Foundation
import Testing
import TestSupport
import UserVaultCore

/// Internationalised emails (RFC 6531) as the legacy table holds them, compared after Unicode
/// normalisation, and ASCII addresses normalised exactly as before.
@Suite("International emails, trimming and lengths")
struct InternationalEmailTests {
    static func input(email: String = "ada@example.com", firstname: String = "Ada", username: String = "ada.l",
                      credentials: String = "correct horse battery") -> NewUserInput {
        NewUserInput(firstname: firstname, lastname: "Lovelace", email: email, username: username, credentials: credentials)
    }

    @Test("legacy addresses the API refused are accepted", arguments: [
        "søren.x@example.com", "a@example.123", "ÅSA@EXAMPLE.COM", "用户@例子.广告", "θσερ@εχαμπλε.ψομ",
        "josé@bücher.de", "x@xn--bcher-kva.de", "δοκιμή@παράδειγμα.δοκιμή", "a\u{030A}sa@example.com",
    ])
    func acceptsInternational(_ email: String) throws {
        let user = try UserValidation.validate(Self.input(email: email)).get()
        #expect(user.email == EmailGuard.normalize(email))
    }

    @Test("still refused", arguments: [
        "ada@1.2.3.4", "ada@[127.0.0.1]", "\"quoted\"@example.com", "ad a@example.com", "a\u{0}b@example.com",
        "ab@exa\u{200B}mple.com", "ab@-bücher.de", "ab@bücher-.de", "ab@bücher..de", "ab@bücher", "søren@exa mple.com",
        "s\u{2028}øren@example.com", String(repeating: "ø", count: 33) + "@example.com",
    ])
    func refusesStill(_ email: String) {
        #expect(!UserValidation.isValidEmail(EmailGuard.normalize(email)))
    }

    @Test("case and Unicode normal form do not make another address", arguments: [
        ("ÅSA@EXAMPLE.COM", "åsa@example.com"),
        ("a\u{030A}sa@example.com", "åsa@example.com"),
        ("A\u{030A}SA@EXAMPLE.COM", "\u{00E5}sa@example.com"),
        ("SØREN.X@EXAMPLE.COM", "søren.x@example.com"),
        ("JOSE\u{0301}@BÜCHER.DE", "josé@bücher.de"),
    ])
    func sameAddress(_ one: String, _ other: String) {
        // Bytes, not Strings: Swift's == already treats canonically equivalent strings as equal,
        // but a store's key (SQLite, DynamoDB) compares bytes.
        #expect(Array(EmailGuard.normalize(one).utf8) == Array(EmailGuard.normalize(other).utf8))
        #expect(Array(EmailGuard.itemId(forEmail: one).utf8) == Array(EmailGuard.itemId(forEmail: other).utf8))
        #expect(Array(EmailGuard.normalize(one).utf8) == Array(EmailGuard.normalize(one).precomposedStringWithCanonicalMapping.utf8))
    }

    @Test("an ASCII address normalises exactly as before: trimmed, lowercased (existing guard items still match)")
    func asciiUnchanged() {
        var random = SystemRandomNumberGenerator()
        let printable = (0x20...0x7E).map { Character(Unicode.Scalar(UInt8($0))) }
        var samples = ["Ada@Example.COM", "  ada@example.com\n", "\tRACE@EXAMPLE.COM ", "o'Brien+Tag@Sub.Example.IE", ""]
        for _ in 0..<500 {
            samples.append(String((0..<Int.random(in: 0...40, using: &random)).map { _ in printable.randomElement(using: &random)! }))
        }
        for email in samples {
            let before = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            #expect(Array(EmailGuard.normalize(email).utf8) == Array(before.utf8))
            #expect(Array(EmailGuard.itemId(forEmail: email).utf8) == Array(("EMAIL#" + before).utf8))
        }
    }

    @Test("ÅSA@EXAMPLE.COM and åsa@example.com, in either normal form, are one user: the second create is 409")
    func duplicates() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let first = try await store.service.create(Self.input(email: "ÅSA@EXAMPLE.COM"))
        #expect(first.attributes.email == "åsa@example.com")
        for spelling in ["åsa@example.com", "a\u{030A}sa@example.com", "A\u{030A}SA@example.com", " Åsa@Example.com "] {
            await #expect(throws: UserTableError.duplicateEmail) {
                _ = try await store.service.create(Self.input(email: spelling, username: "asa2"))
            }
            let found = try await store.service.list(ListQuery(email: spelling)).users
            #expect(found.map(\.id) == [first.id], "filter[email]=\(spelling)")
        }
        let other = try await store.service.create(Self.input(email: "søren.x@example.com", username: "soren"))
        #expect(other.attributes.email == "søren.x@example.com")
    }

    @Test("names, username and email are trimmed before validation")
    func trimmed() throws {
        let user = try UserValidation.validate(NewUserInput(
            firstname: " \tSøren\n", lastname: "  Kierkegaard ", email: " \u{00A0}søren.x@example.com\r\n",
            username: "  soren.k\t", credentials: " keep my spaces ")).get()
        #expect(user.firstname == "Søren")
        #expect(user.lastname == "Kierkegaard")
        #expect(user.email == "søren.x@example.com")
        #expect(user.username == "soren.k")
        #expect(user.password == " keep my spaces ", "a password is never trimmed")
        // Trimmed to nothing is empty, not a name.
        #expect(throws: ValidationFailure.self) { try UserValidation.validate(Self.input(firstname: " \t ")).get() }
    }

    /// A family emoji: 7 scalars, 25 bytes, one character. "é" as e + combining acute: 2 scalars, one character.
    static let family = "👩‍👩‍👧‍👦", combined = "e\u{0301}"

    @Test("lengths count user-perceived characters", arguments: [family, combined])
    func characterLengths(_ unit: String) throws {
        #expect(unit.count == 1)
        let upperName = UserValidation.nameLength.upperBound
        _ = try UserValidation.validate(Self.input(firstname: String(repeating: unit, count: upperName))).get()
        #expect(throws: ValidationFailure.self) {
            try UserValidation.validate(Self.input(firstname: String(repeating: unit, count: upperName + 1))).get()
        }
        let lowerPassword = UserValidation.passwordLength.lowerBound
        _ = try UserValidation.validate(Self.input(credentials: String(repeating: unit, count: lowerPassword))).get()
        #expect(throws: ValidationFailure.self) {
            try UserValidation.validate(Self.input(credentials: String(repeating: unit, count: lowerPassword - 1))).get()
        }
    }

    @Test("an email's limits are in bytes of UTF-8, as RFC 6531 keeps them: 64 for the local part, 254 in all")
    func emailOctets() {
        #expect(UserValidation.isValidEmail(String(repeating: "ø", count: 32) + "@example.com"))
        #expect(!UserValidation.isValidEmail(String(repeating: "ø", count: 33) + "@example.com"))
        let label = String(repeating: "b", count: 60)
        let domain = [label, label, label, String(repeating: "c", count: 63), "dd"].joined(separator: ".")
        #expect(UserValidation.isValidEmail("a@" + domain + ".de"))
        #expect(!UserValidation.isValidEmail("ø@" + domain + ".de"))
    }
}
