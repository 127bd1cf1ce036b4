import Foundation
import UserVaultCore
import Yams

/// The suppressions file (`--suppressions`): YAML, a list of rules under `rules`.
///
/// ```yaml
/// rules:
///   - id: legacy-batch-account            # a stable name: reports and Security Hub notes use it
///     codes: [KEY_SHARED]                  # required: the finding codes it accepts
///     users: [0d7b2f3c-…]                  # and at least one of users, keys (ids or ARNs), table
///     reason: Shared on purpose until the batch service is retired (CHG-1234).   # 10–500 characters
///     owner: security@example.com
///     expires: 2027-03-31                  # at most 365 days ahead; the last day it is in force
/// ```
///
/// Anything else is refused with one line saying where (``SuppressionsError``): malformed YAML
/// (its line and column), an unknown key (naming the nearest known one), a missing `id`,
/// `codes`, `reason`, `owner` or `expires`, an unknown code (the nearest one named),
/// `UNVERIFIABLE` (a check that could not run is not a risk anyone reviewed), a reason outside
/// 10–500 characters, an end date more than 365 days ahead or that passed more than
/// ``Suppressions/expiredGraceDays`` days ago, a rule with no users, keys or table, two rules
/// with one id, and a file with no rule at all (an empty rule set is never taken in silence).
public enum SuppressionsFile {
    static let fileKeys = ["rules"]
    static let ruleKeys = ["id", "codes", "users", "keys", "table", "reason", "owner", "expires"]
    static let reasonLength = 10...500
    static let idPattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"

    /// Reads the rules of `data` (UTF-8 YAML), checked against `today` (the run's day).
    public static func parse(_ data: Data, source: String, today: CalendarDay) throws -> Suppressions {
        guard let text = String(data: data, encoding: .utf8) else { throw SuppressionsError.unreadable(source, "not UTF-8 text") }
        return try parse(text, source: source, today: today)
    }

    public static func parse(_ text: String, source: String, today: CalendarDay) throws -> Suppressions {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw malformed(error, source: source)
        }
        let reader = Reader(source: source, today: today)
        guard let root, !(root.scalar.map { $0.string.isEmpty } ?? false) else {
            throw SuppressionsError.invalid(source, "no rules: the file is empty (an empty rule set is refused; drop --suppressions instead)")
        }
        let file = try reader.mapping(root, what: "the file")
        try reader.checkKeys(file, known: fileKeys, what: "the file")
        guard let list = file["rules"] else { throw reader.error(at: root, "no 'rules' list") }
        guard let sequence = list.sequence else { throw reader.error(at: list, "'rules' must be a list of rules") }
        guard !sequence.isEmpty else {
            throw reader.error(at: list, "'rules' is empty (an empty rule set is refused; drop --suppressions instead)")
        }
        var rules: [SuppressionRule] = []
        var seen: [String: String] = [:]
        for node in sequence {
            let rule = try reader.rule(node)
            if let first = seen[rule.id] { throw reader.error(at: node, "two rules have the id '\(rule.id)' (the first at \(first))") }
            seen[rule.id] = rule.location
            rules.append(rule)
        }
        return Suppressions(source: source, rules: rules)
    }

    static func malformed(_ error: YamlError, source: String) -> SuppressionsError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return .malformed(source, line: mark.line, column: mark.column, problem + (context.map { " (\($0.text))" } ?? ""))
        case .reader(let problem, let offset, _, let yaml):
            let position = offset.map { offset -> (Int, Int) in
                let before = yaml.prefix(offset)
                return (before.filter(\.isNewline).count + 1, before.count - (before.lastIndex(where: \.isNewline).map {
                    before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1)
            }
            return .malformed(source, line: position?.0, column: position?.1, problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .malformed(source, line: context.mark.line, column: context.mark.column,
                              "a key appears twice in one mapping: " + duplicates.map { "'\($0)'" }.joined(separator: ", "))
        default:
            return .malformed(source, line: nil, column: nil, "\(error)")
        }
    }

    /// Reads nodes into rules, every problem an error that says where.
    struct Reader {
        var source: String
        var today: CalendarDay

        func error(at node: Node, _ problem: String) -> SuppressionsError {
            .invalid(source, line: node.mark?.line, column: node.mark?.column, problem)
        }

        func place(of node: Node) -> String {
            node.mark.map { "\(source):\($0.line):\($0.column)" } ?? source
        }

        func mapping(_ node: Node, what: String) throws -> Node.Mapping {
            guard let mapping = node.mapping else { throw error(at: node, "\(what) must be a mapping of keys to values") }
            return mapping
        }

        func checkKeys(_ mapping: Node.Mapping, known: [String], what: String) throws {
            for key in mapping.keys {
                let name = key.scalar?.string ?? ""
                guard !known.contains(name) else { continue }
                let nearest = EditDistance.nearest(to: name, in: known).map { " (did you mean '\($0.candidate)'?)" } ?? ""
                throw error(at: key, "unknown key '\(name)' in \(what)\(nearest); known: \(known.joined(separator: ", "))")
            }
        }

        func text(_ node: Node?, _ key: String, rule: String) throws -> String? {
            guard let node else { return nil }
            guard let scalar = node.scalar else { throw error(at: node, "rule \(rule): '\(key)' must be a text, not a list or a mapping") }
            let value = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
            return value.isEmpty ? nil : value
        }

        func required(_ node: Node?, _ key: String, rule: String, at ruleNode: Node) throws -> String {
            guard let value = try text(node, key, rule: rule) else {
                throw error(at: node ?? ruleNode, "rule \(rule): '\(key)' is missing" + (node == nil ? "" : " (empty)"))
            }
            return value
        }

        func list(_ node: Node?, _ key: String, rule: String) throws -> [String]? {
            guard let node else { return nil }
            guard let sequence = node.sequence else { throw error(at: node, "rule \(rule): '\(key)' must be a list, e.g. [a, b]") }
            let values = try sequence.map { item -> String in
                guard let value = item.scalar?.string.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                    throw error(at: item, "rule \(rule): every entry of '\(key)' must be a non-empty text")
                }
                return value
            }
            guard !values.isEmpty else { throw error(at: node, "rule \(rule): '\(key)' is empty (leave it out to match any)") }
            return values
        }

        func rule(_ node: Node) throws -> SuppressionRule {
            let mapping = try mapping(node, what: "a rule")
            try checkKeys(mapping, known: ruleKeys, what: "a rule")
            let id = try required(mapping["id"], "id", rule: "at \(place(of: node))", at: node)
            guard id.range(of: idPattern, options: .regularExpression) != nil else {
                throw error(at: mapping["id"] ?? node, "rule id '\(id)' must be 1–128 letters, digits, '.', '_', ':' or '-'")
            }
            let name = "'\(id)'"
            guard let codeList = try list(mapping["codes"], "codes", rule: name) else {
                throw error(at: node, "rule \(name): 'codes' is missing (the finding codes it accepts)")
            }
            var codes: Set<FindingCode> = []
            for (index, text) in codeList.enumerated() {
                let at = mapping["codes"]?.sequence?[index] ?? node
                guard let code = FindingCode(rawValue: text) else {
                    let nearest = EditDistance.nearest(to: text.uppercased(), in: FindingCode.allCases.map(\.rawValue))
                        .map { " (did you mean '\($0.candidate)'?)" } ?? ""
                    throw error(at: at, "rule \(name): unknown finding code '\(text)'\(nearest)")
                }
                guard code != .unverifiable else {
                    throw error(at: at, "rule \(name): UNVERIFIABLE cannot be accepted (a check that could not run is not a risk anyone reviewed)")
                }
                codes.insert(code)
            }
            let users = try list(mapping["users"], "users", rule: name)
            let keys = try list(mapping["keys"], "keys", rule: name)
            let table = try text(mapping["table"], "table", rule: name)
            guard users != nil || keys != nil || table != nil else {
                throw error(at: node, "rule \(name): give users, keys or table (a rule accepts findings of some users, keys or a table, never every one of a code everywhere)")
            }
            let reason = try required(mapping["reason"], "reason", rule: name, at: node)
            guard reasonLength.contains(reason.count) else {
                throw error(at: mapping["reason"] ?? node, "rule \(name): 'reason' must be \(reasonLength.lowerBound)–\(reasonLength.upperBound) characters (it has \(reason.count))")
            }
            let owner = try required(mapping["owner"], "owner", rule: name, at: node)
            let expiresText = try required(mapping["expires"], "expires", rule: name, at: node)
            let expiresNode = mapping["expires"] ?? node
            guard let expires = CalendarDay(expiresText) else {
                throw error(at: expiresNode, "rule \(name): 'expires' must be a date, YYYY-MM-DD (got '\(expiresText.prefix(40))')")
            }
            let latest = today.adding(days: Suppressions.maximumLifetimeDays)
            guard expires <= latest else {
                throw error(at: expiresNode, "rule \(name): 'expires' \(expires) is more than \(Suppressions.maximumLifetimeDays) days ahead (at most \(latest))")
            }
            guard today - expires <= Suppressions.expiredGraceDays else {
                throw error(at: expiresNode, "rule \(name): 'expires' \(expires) is in the past, more than \(Suppressions.expiredGraceDays) days ago: renew the rule (a new date) or remove it")
            }
            return SuppressionRule(id: id, codes: codes, users: users.map(Set.init), keys: keys.map(Set.init), table: table,
                                   reason: reason, owner: owner, expires: expires, location: place(of: node))
        }
    }
}
