import Foundation
import UserVaultCore

/// The JSON:API 1.0 media-type rules (jsonapi.org/format/1.0, "Content Negotiation").
enum ContentNegotiation {
    /// A media type (`type/subtype`, lowercased) and its parameters other than `q` and any
    /// accept-extensions after it.
    struct MediaRange: Equatable {
        var type: String
        var parameters: [String]

        init(_ text: Substring) {
            let parts = text.split(separator: ";", omittingEmptySubsequences: false)
            type = parts.first.map { $0.trimmingWhitespace().lowercased() } ?? ""
            var parameters: [String] = []
            for part in parts.dropFirst() {
                let parameter = part.trimmingWhitespace()
                if parameter.isEmpty { continue }
                // `q` starts the accept-params (RFC 9110 §12.5.1): not a media type parameter.
                if parameter.lowercased().hasPrefix("q=") { break }
                parameters.append(parameter)
            }
            self.parameters = parameters
        }
    }

    /// 415 unless the body is JSON: `application/vnd.api+json` without parameters,
    /// `application/json` (the original service's clients), or no `Content-Type` at all.
    static func checkContentType(_ value: String?) throws(APIProblem) {
        guard let value, !value.trimmingWhitespace().isEmpty else { return }
        let range = MediaRange(value[...])
        switch range.type {
        case JSONAPI.mediaType:
            // Any parameter at all, even a malformed one, is refused.
            if hasAnyParameterText(value) { throw .unsupportedMediaTypeParameters }
        case "application/json":
            return
        default:
            throw .unsupportedMediaType
        }
    }

    /// 406 when `Accept` names `application/vnd.api+json` and every instance of it carries
    /// media type parameters. `*/*`, `application/json` or no `Accept` are fine.
    static func checkAccept(_ values: [String]) throws(APIProblem) {
        var sawJSONAPI = false
        for value in values {
            for item in value.split(separator: ",") {
                let range = MediaRange(item)
                guard range.type == JSONAPI.mediaType else { continue }
                if range.parameters.isEmpty { return }
                sawJSONAPI = true
            }
        }
        if sawJSONAPI { throw .notAcceptable }
    }

    private static func hasAnyParameterText(_ value: String) -> Bool {
        value.split(separator: ";", omittingEmptySubsequences: false).dropFirst()
            .contains { !$0.trimmingWhitespace().isEmpty }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingWhitespace() -> String {
        String(self).trimmingCharacters(in: .whitespaces)
    }
}
