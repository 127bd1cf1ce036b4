/// Just enough XML for S3's small, flat answers (`<UploadId>`, `<ETag>`, `<Upload>` lists):
/// element text by name, and escaping for the one document this client writes.
enum S3XML {
    /// The text of the first `<name>` element, unescaped.
    static func first(_ name: String, in text: Substring) -> String? {
        guard let open = text.range(of: "<\(name)>"),
              let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex)
        else { return nil }
        return ErrorParsing.xmlUnescape(String(text[open.upperBound..<close.lowerBound]))
    }

    /// The raw inner text of every `<name>` element, in order (for repeated blocks such as `<Upload>`).
    static func blocks(_ name: String, in text: String) -> [Substring] {
        var blocks: [Substring] = []
        var searchFrom = text.startIndex
        while let open = text.range(of: "<\(name)>", range: searchFrom..<text.endIndex),
              let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) {
            blocks.append(text[open.upperBound..<close.lowerBound])
            searchFrom = close.upperBound
        }
        return blocks
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Whether a 2xx answer is in fact an `<Error>` document (S3 can answer
    /// `CompleteMultipartUpload` with 200 and an error body).
    static func isErrorDocument(_ text: String) -> Bool {
        guard let start = text.range(of: "<Error>") else { return false }
        // The root element, after an optional XML declaration and whitespace.
        let before = text[..<start.lowerBound]
        return !before.contains("<") || before.trimmingPrefixDeclaration.allSatisfy(\.isWhitespace)
    }
}

private extension Substring {
    /// What is left of a prefix once an `<?xml …?>` declaration is removed.
    var trimmingPrefixDeclaration: Substring {
        guard let end = range(of: "?>") else { return self }
        return self[end.upperBound...]
    }
}
