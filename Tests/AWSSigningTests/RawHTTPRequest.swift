import Foundation

/// An HTTP/1.1 request as the aws-c-auth vectors write it in `request.txt`: a request line,
/// `Name:value` header lines (a line starting with whitespace continues the previous value),
/// then, after an empty line, the body.
///
/// Everything is kept verbatim so that the signed request can be written back byte for byte:
/// the request target may hold spaces and raw UTF-8, a header value keeps its leading space
/// and its folded lines (joined with `\n`).
struct RawHTTPRequest {
    var method: String
    /// The request target as written: path and query, not necessarily a valid URL.
    var target: String
    var version: String
    var headers: [(name: String, value: String)]
    var body: Data

    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        var headEnd = bytes.count
        var bodyStart = bytes.count
        if bytes.count >= 2 {
            for index in 0..<(bytes.count - 1) where bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
                headEnd = index
                bodyStart = index + 2
                break
            }
        }
        body = Data(bytes[bodyStart...])

        var lines = String(decoding: bytes[..<headEnd], as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" {
            lines.removeLast()
        }
        guard let requestLine = lines.first,
              let firstSpace = requestLine.firstIndex(of: " "),
              let lastSpace = requestLine.lastIndex(of: " "),
              firstSpace < lastSpace
        else {
            throw FormatError(description: "no request line")
        }
        method = String(requestLine[..<firstSpace])
        target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])
        version = String(requestLine[requestLine.index(after: lastSpace)...])

        headers = []
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t" {
                guard !headers.isEmpty else {
                    throw FormatError(description: "a continuation line before any header")
                }
                headers[headers.count - 1].value += "\n" + line
            } else {
                guard let colon = line.firstIndex(of: ":") else {
                    throw FormatError(description: "a header line without a colon")
                }
                headers.append((name: String(line[..<colon]), value: String(line[line.index(after: colon)...])))
            }
        }
    }

    var requestLine: String {
        "\(method) \(target) \(version)"
    }

    /// The path part of the target and its query part (after the first `?`), if any.
    var pathAndQuery: (path: Substring, query: Substring?) {
        guard let mark = target.firstIndex(of: "?") else { return (target[...], nil) }
        return (target[..<mark], target[target.index(after: mark)...])
    }

    /// The value of the first header named `name` (case-insensitive), trimmed.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }
            .map { $0.value.trimmingCharacters(in: .whitespaces) }
    }

    /// The request written back the way the vectors write it, with `headers` in place of the
    /// original ones and `target` in place of the original target.
    func rendered(target: String? = nil, headers: [(name: String, value: String)]? = nil) -> String {
        var text = "\(method) \(target ?? self.target) \(version)\n"
        for header in headers ?? self.headers {
            text += "\(header.name):\(header.value)\n"
        }
        text += "\n"
        text += String(decoding: body, as: UTF8.self)
        return text
    }
}
