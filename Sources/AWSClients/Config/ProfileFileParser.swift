import Foundation

/// Parses the INI dialect of the shared AWS `config` and `credentials` files, as the AWS SDKs
/// read it:
///
/// - sections `[default]`, `[profile name]` (config) or `[name]` (credentials), `[services name]`;
/// - `key = value` properties; keys are case-insensitive (kept lowercased), values trimmed;
/// - full-line comments starting with `#` or `;`; inline comments after whitespace on property
///   lines, anywhere after the `]` of a section line;
/// - an indented line continues the previous property's value, or, when that value is empty,
///   holds a sub-property (`s3 =` / `  addressing_style = path`).
///
/// Errors name the line number, never the line (it may hold a secret).
enum ProfileFileParser {
    enum Kind: Sendable { case config, credentials }

    struct Section: Sendable, Hashable {
        var properties: [String: String] = [:]
        var subproperties: [String: [String: String]] = [:]

        mutating func merge(_ other: Section) {
            properties.merge(other.properties) { $1 }
            subproperties.merge(other.subproperties) { $1 }
        }
    }

    struct Parsed: Sendable, Hashable {
        var profiles: [String: Section] = [:]
        var services: [String: Section] = [:]
    }

    struct ParseError: Error, Sendable {
        var line: Int
        var reason: String
    }

    private enum Target: Hashable {
        case profile(String)
        /// `[profile default]` in a config file, which wins over `[default]`.
        case prefixedDefault
        case services(String)
        case ignored
    }

    static func parse(_ text: String, kind: Kind) throws -> Parsed {
        var sections: [Target: Section] = [:]
        var order: [Target] = []
        var current: Target?
        var property: String?

        // `\r\n` is one Character in Swift: split on every kind of line break.
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = offset + 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }

            if trimmed.hasPrefix("[") {
                guard let close = trimmed.firstIndex(of: "]") else {
                    throw ParseError(line: number, reason: "a section header lacks its closing ]")
                }
                let rest = trimmed[trimmed.index(after: close)...].trimmingCharacters(in: .whitespaces)
                guard rest.isEmpty || rest.hasPrefix("#") || rest.hasPrefix(";") else {
                    throw ParseError(line: number, reason: "unexpected text after a section header")
                }
                let name = trimmed[trimmed.index(after: trimmed.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty else { throw ParseError(line: number, reason: "an empty section name") }
                let target = Self.target(name, kind: kind)
                current = target
                if sections[target] == nil { sections[target] = Section(); order.append(target) }
                property = nil
                continue
            }

            let indented = line.first == " " || line.first == "\t"
            if indented, let target = current, let key = property {
                if sections[target]?.properties[key]?.isEmpty == true || sections[target]?.subproperties[key] != nil {
                    let (subkey, value) = try Self.keyValue(trimmed, line: number)
                    sections[target]?.subproperties[key, default: [:]][subkey] = value
                    sections[target]?.properties[key] = ""
                } else {
                    let value = Self.stripComment(trimmed)
                    sections[target]?.properties[key]? += "\n" + value
                }
                continue
            }

            guard let target = current else {
                throw ParseError(line: number, reason: "a property outside of any section")
            }
            let (key, value) = try Self.keyValue(trimmed, line: number)
            sections[target]?.properties[key] = value
            sections[target]?.subproperties[key] = nil
            property = key
        }

        var parsed = Parsed()
        var prefixedDefault: Section?
        for target in order {
            guard let section = sections[target] else { continue }
            switch target {
            case .profile(let name): parsed.profiles[name, default: Section()].merge(section)
            case .prefixedDefault: prefixedDefault = section
            case .services(let name): parsed.services[name, default: Section()].merge(section)
            case .ignored: break
            }
        }
        if let prefixedDefault { parsed.profiles["default"] = prefixedDefault }
        return parsed
    }

    private static func target(_ name: String, kind: Kind) -> Target {
        switch kind {
        case .credentials:
            return .profile(name)
        case .config:
            if name == "default" { return .profile("default") }
            if let rest = Self.dropWord("profile", from: name) {
                return rest == "default" ? .prefixedDefault : .profile(rest)
            }
            if let rest = Self.dropWord("services", from: name) { return .services(rest) }
            // `[sso-session x]` and unprefixed names: not profiles.
            return .ignored
        }
    }

    /// `word<whitespace>rest` → `rest`.
    private static func dropWord(_ word: String, from name: String) -> String? {
        guard name.hasPrefix(word) else { return nil }
        let rest = name.dropFirst(word.count)
        guard let first = rest.first, first == " " || first == "\t" else { return nil }
        let value = rest.trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? nil : value
    }

    private static func keyValue(_ text: String, line: Int) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "=") else {
            throw ParseError(line: line, reason: "expected key = value")
        }
        let key = text[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
        guard !key.isEmpty else { throw ParseError(line: line, reason: "a property without a name") }
        let value = Self.stripComment(text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces))
        return (key, value)
    }

    /// Drops an inline comment: `#` or `;` preceded by whitespace.
    private static func stripComment(_ value: String) -> String {
        var previous: Character = " "
        for index in value.indices {
            let character = value[index]
            if (character == "#" || character == ";") && (previous == " " || previous == "\t") && index != value.startIndex {
                return value[..<index].trimmingCharacters(in: .whitespaces)
            }
            previous = character
        }
        return value
    }
}
