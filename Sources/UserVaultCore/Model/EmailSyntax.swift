/// The syntax of an internationalised email address (RFC 6531 `addr-spec`, without quoted local
/// parts, comments or IP literals), as ``UserValidation`` documents it. Lengths are in bytes of
/// UTF-8, as RFC 5321 and 6531 count them.
enum EmailSyntax {
    static let maxLocalBytes = 64
    static let maxLabelBytes = 63
    private static let atextSymbols = "!#$%&'*+-/=?^_`{|}~".unicodeScalars

    static func isValid(_ email: String, maxBytes: Int) -> Bool {
        guard email.utf8.count <= maxBytes else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return isValidLocalPart(parts[0]) && isValidDomain(parts[1])
    }

    /// Dot-separated non-empty runs of `atext` and printable non-ASCII characters.
    static func isValidLocalPart(_ local: Substring) -> Bool {
        guard (1...maxLocalBytes).contains(local.utf8.count) else { return false }
        return local.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { run in
            !run.isEmpty && run.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII ? UserValidation.isAlphanumeric(scalar) || atextSymbols.contains(scalar) : isPrintable(scalar)
            }
        }
    }

    /// Two or more labels of ASCII letters, digits and hyphens or non-ASCII letters, marks and
    /// digits, not starting or ending with a hyphen; not digits only throughout (an IPv4 address).
    static func isValidDomain(_ domain: Substring) -> Bool {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...maxLabelBytes).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.unicodeScalars.allSatisfy({ $0.isASCII ? UserValidation.isAlphanumeric($0) || $0 == "-" : isLabelLetter($0) })
            else { return false }
        }
        return !labels.allSatisfy { $0.unicodeScalars.allSatisfy { ("0"..."9").contains($0) } }
    }

    /// Letters, marks, numbers, punctuation and symbols: no controls, format characters,
    /// separators, private use or unassigned code points.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator,
             .paragraphSeparator:
            return false
        default:
            return true
        }
    }

    /// What an IDN label may hold beyond ASCII: letters, marks and decimal digits.
    private static func isLabelLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber:
            return true
        default:
            return false
        }
    }
}
