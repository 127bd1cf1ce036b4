import Foundation
@testable import Jobs
import Testing
import UserVaultCore

/// The suppressions file: what it accepts, and one line saying where for everything it refuses.
@Suite("Suppressions file")
struct SuppressionsFileTests {
    static let today = CalendarDay("2026-12-06")!

    static let valid = """
        # accepted findings of the users table
        rules:
          - id: legacy-batch
            codes: [KEY_SHARED, KEY_ROTATION_DISABLED]
            users: [u-legacy-1, u-legacy-2]
            reason: Shared on purpose until the batch service is retired (CHG-1234).
            owner: security@example.com
            expires: 2027-03-31
          - id: orphan-keys-of-the-migration
            codes: [ORPHAN_KEY]
            keys: ["arn:aws:kms:eu-west-1:123456789012:key/1111-aaaa", 2222-bbbb]
            table: users
            reason: "Kept for the restore drill until the migration is signed off."
            owner: platform team
            expires: "2026-12-20"
        """

    static func parse(_ text: String, today: CalendarDay = today) throws -> Suppressions {
        try SuppressionsFile.parse(text, source: "s.yaml", today: today)
    }

    @Test("a valid file: every field read, keys by id whatever their form, dates as days")
    func validFile() throws {
        let suppressions = try Self.parse(Self.valid)
        #expect(suppressions.source == "s.yaml" && suppressions.rules.map(\.id) == ["legacy-batch", "orphan-keys-of-the-migration"])
        let legacy = suppressions.rules[0]
        #expect(legacy.codes == [.keyShared, .keyRotationDisabled] && legacy.users == ["u-legacy-1", "u-legacy-2"])
        #expect(legacy.keys == nil && legacy.table == nil && legacy.owner == "security@example.com")
        #expect(legacy.expires == CalendarDay("2027-03-31") && legacy.location == "s.yaml:3:5")
        let orphans = suppressions.rules[1]
        #expect(orphans.keys == ["1111-aaaa", "2222-bbbb"] && orphans.table == "users")
        #expect(orphans.reason == "Kept for the restore drill until the migration is signed off.")
    }

    @Test("a finding matches when its code is one of the rule's and every selector the rule gives agrees")
    func matching() throws {
        let rules = try Self.parse(Self.valid).rules
        let (legacy, orphans) = (rules[0], rules[1])
        #expect(legacy.matches(Finding(.keyShared, userId: "u-legacy-1", keyId: "k", detail: ""), table: "users"))
        #expect(legacy.matches(Finding(.keyShared, userId: "u-legacy-2", detail: ""), table: "other-table"), "no table: any table")
        #expect(!legacy.matches(Finding(.keyShared, userId: "u-someone", detail: ""), table: "users"), "another user")
        #expect(!legacy.matches(Finding(.keyDisabled, userId: "u-legacy-1", detail: ""), table: "users"), "another code")
        #expect(orphans.matches(Finding(.orphanKey, userId: nil, keyId: "1111-aaaa", detail: ""), table: "users"))
        #expect(orphans.matches(Finding(.orphanKey, userId: nil, keyId: "arn:aws:kms:eu-west-1:123456789012:key/2222-bbbb", detail: ""),
                                table: "users"), "an ARN matches the bare id")
        #expect(!orphans.matches(Finding(.orphanKey, userId: nil, keyId: "1111-aaaa", detail: ""), table: "users-eu"), "another table")
        #expect(!orphans.matches(Finding(.orphanKey, userId: nil, keyId: "3333", detail: ""), table: "users"), "another key")
    }

    /// A malformed or invalid file: the problem, and the line (and column) it is on.
    struct Refused: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        var says: String
        var line: Int?
        var testDescription: String { name }
    }

    static let rule = """
          - id: r1
            codes: [KEY_DISABLED]
            users: [u1]
            reason: Disabled on purpose while the owner is on leave.
            owner: ops
            expires: 2027-01-31
        """

    static let refused: [Refused] = [
        .init(name: "malformed YAML", yaml: "rules:\n  - id: r1\n    codes: [KEY_DISABLED\n    users: [u1]\n", says: "malformed YAML", line: 4),
        .init(name: "a tab where YAML wants spaces", yaml: "rules:\n\t- id: r1\n", says: "malformed YAML", line: 2),
        .init(name: "a key twice", yaml: "rules:\n" + rule + "\n    owner: someone else\n", says: "a key appears twice in one mapping: 'owner'", line: 6),
        .init(name: "unknown key in a rule", yaml: "rules:\n" + rule.replacingOccurrences(of: "reason:", with: "reasn:"),
              says: "unknown key 'reasn' in a rule (did you mean 'reason'?)", line: 5),
        .init(name: "unknown top-level key", yaml: "rule:\n" + rule, says: "unknown key 'rule' in the file (did you mean 'rules'?)", line: 1),
        .init(name: "empty file", yaml: "# nothing yet\n", says: "no rules", line: nil),
        .init(name: "empty rule list", yaml: "rules: []\n", says: "'rules' is empty", line: 1),
        .init(name: "no rules key", yaml: "{}\n", says: "no 'rules' list", line: 1),
        .init(name: "rules not a list", yaml: "rules: everything\n", says: "'rules' must be a list", line: 1),
        .init(name: "missing id", yaml: "rules:\n" + rule.replacingOccurrences(of: "- id: r1\n    ", with: "- "), says: "'id' is missing", line: 2),
        .init(name: "two rules with one id", yaml: "rules:\n" + rule + "\n" + rule, says: "two rules have the id 'r1' (the first at s.yaml:2:5)", line: 8),
        .init(name: "missing codes", yaml: "rules:\n" + rule.replacingOccurrences(of: "    codes: [KEY_DISABLED]\n", with: ""),
              says: "rule 'r1': 'codes' is missing", line: 2),
        .init(name: "unknown code", yaml: "rules:\n" + rule.replacingOccurrences(of: "KEY_DISABLED", with: "KEY_DISABLD"),
              says: "unknown finding code 'KEY_DISABLD' (did you mean 'KEY_DISABLED'?)", line: 3),
        .init(name: "UNVERIFIABLE", yaml: "rules:\n" + rule.replacingOccurrences(of: "[KEY_DISABLED]", with: "[KEY_DISABLED, UNVERIFIABLE]"),
              says: "UNVERIFIABLE cannot be accepted", line: 3),
        .init(name: "no user, key or table", yaml: "rules:\n" + rule.replacingOccurrences(of: "    users: [u1]\n", with: ""),
              says: "give users, keys or table", line: 2),
        .init(name: "missing reason", yaml: "rules:\n" + rule.replacingOccurrences(of: "    reason: Disabled on purpose while the owner is on leave.\n", with: ""),
              says: "rule 'r1': 'reason' is missing", line: 2),
        .init(name: "reason too short", yaml: "rules:\n" + rule.replacingOccurrences(of: "Disabled on purpose while the owner is on leave.", with: "ok"),
              says: "'reason' must be 10–500 characters (it has 2)", line: 5),
        .init(name: "reason too long", yaml: "rules:\n" + rule.replacingOccurrences(of: "Disabled on purpose while the owner is on leave.",
                                                                                   with: String(repeating: "x", count: 501)),
              says: "'reason' must be 10–500 characters (it has 501)", line: 5),
        .init(name: "missing owner", yaml: "rules:\n" + rule.replacingOccurrences(of: "    owner: ops\n", with: ""),
              says: "rule 'r1': 'owner' is missing", line: 2),
        .init(name: "missing expires", yaml: "rules:\n" + rule.replacingOccurrences(of: "\n    expires: 2027-01-31", with: ""),
              says: "rule 'r1': 'expires' is missing", line: 2),
        .init(name: "expires not a date", yaml: "rules:\n" + rule.replacingOccurrences(of: "2027-01-31", with: "next quarter"),
              says: "'expires' must be a date, YYYY-MM-DD (got 'next quarter')", line: 7),
        .init(name: "expires on a day that does not exist", yaml: "rules:\n" + rule.replacingOccurrences(of: "2027-01-31", with: "2027-02-30"),
              says: "'expires' must be a date", line: 7),
        .init(name: "expires more than 365 days ahead", yaml: "rules:\n" + rule.replacingOccurrences(of: "2027-01-31", with: "2027-12-08"),
              says: "'expires' 2027-12-08 is more than 365 days ahead (at most 2027-12-06)", line: 7),
        .init(name: "expires long past", yaml: "rules:\n" + rule.replacingOccurrences(of: "2027-01-31", with: "2026-11-05"),
              says: "'expires' 2026-11-05 is in the past, more than 30 days ago", line: 7),
        .init(name: "users not a list", yaml: "rules:\n" + rule.replacingOccurrences(of: "[u1]", with: "u1"),
              says: "'users' must be a list", line: 4),
    ]

    @Test("refused, one line saying where", arguments: refused)
    func refusedFile(_ example: Refused) throws {
        let error = #expect(throws: SuppressionsError.self) { try Self.parse(example.yaml) }
        let text = error?.description ?? ""
        #expect(text.contains(example.says), "\(text)")
        #expect(!text.contains("\n"), "one line: \(text)")
        #expect(error?.line == example.line, "\(text)")
        #expect(text.hasPrefix("s.yaml" + (example.line.map { ":\($0)" } ?? ":")), "\(text)")
    }

    @Test("expiry: in force through its day, expired the day after (up to 30 days, then refused); warned about 14 days before")
    func expiry() throws {
        let text = "rules:\n" + Self.rule
        let expires = CalendarDay("2027-01-31")!
        #expect(try Self.parse(text, today: expires.adding(days: Suppressions.expiredGraceDays)).rules.count == 1)
        #expect(throws: SuppressionsError.self) { try Self.parse(text, today: expires.adding(days: Suppressions.expiredGraceDays + 1)) }
        let rule = try Self.parse(text).rules[0]
        #expect(!rule.isExpired(on: expires) && rule.isExpired(on: expires.adding(days: 1)))
        let suppressions = try Self.parse(text)
        #expect(suppressions.expiringSoon(for: "users", today: expires.adding(days: -15)).isEmpty)
        #expect(suppressions.expiringSoon(for: "users", today: expires.adding(days: -14)).map(\.id) == ["r1"])
        #expect(suppressions.warnings(for: "users", today: expires.adding(days: -14))
            == ["suppression rule 'r1' expires on 2027-01-31 (in 14 days): renew it or fix what it accepts (s.yaml)"])
        #expect(suppressions.warnings(for: "users", today: expires.adding(days: 1))
            == ["suppression rule 'r1' expired on 2027-01-31: the findings it accepted count again (s.yaml)"])
    }

    @Test("days: strict YYYY-MM-DD, leap years, arithmetic across months and years, the UTC day of an instant")
    func calendarDays() {
        #expect(CalendarDay("2028-02-29") != nil && CalendarDay("2027-02-29") == nil && CalendarDay("2100-02-29") == nil)
        #expect(CalendarDay("2000-02-29") != nil && CalendarDay("2027-13-01") == nil && CalendarDay("2027-1-01") == nil)
        #expect(CalendarDay("27-01-01") == nil && CalendarDay("2027-01-01T00:00:00Z") == nil && CalendarDay("") == nil)
        #expect(CalendarDay("1970-01-01")?.ordinal == 0 && CalendarDay("2027-03-01")! - CalendarDay("2027-02-28")! == 1)
        #expect(CalendarDay("2026-12-31")!.adding(days: 1).description == "2027-01-01")
        #expect(CalendarDay("2028-03-01")!.adding(days: -1).description == "2028-02-29")
        #expect(CalendarDay(Date(timeIntervalSince1970: 1_796_169_599)).description == "2026-12-01", "23:59:59 UTC")
        #expect(CalendarDay(Date(timeIntervalSince1970: 1_796_169_600)).description == "2026-12-02")
        for text in ["0001-01-01", "1969-12-31", "2026-12-06", "9999-12-31"] { #expect(CalendarDay(text)?.description == text) }
    }
}
