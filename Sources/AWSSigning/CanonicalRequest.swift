/// The canonical request of SigV4, built in one byte buffer.
///
/// ```
/// <method>\n<canonical URI>\n<canonical query>\n<canonical headers>\n<signed headers>\n<payload hash>
/// ```
///
/// See [Create a canonical request](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-canonical-request).
struct CanonicalRequest {
    /// The UTF-8 bytes of the canonical request (hashed into the string to sign).
    private(set) var bytes: [UInt8]

    init(
        method: String,
        path: String,
        query: [QueryParameter],
        headers: CanonicalHeaders,
        payloadHash: String,
        normalizePath: Bool,
        doubleEncodePath: Bool
    ) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(method.utf8.count + path.utf8.count * 2 + query.count * 48
            + headers.block.count + headers.signedHeaders.utf8.count + payloadHash.utf8.count + 8)
        bytes.append(contentsOf: method.utf8)
        bytes.append(UInt8(ascii: "\n"))
        Self.appendPath(path, normalize: normalizePath, doubleEncode: doubleEncodePath, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        Self.appendQuery(query, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: headers.block)
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: headers.signedHeaders.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: payloadHash.utf8)
        self.bytes = bytes
    }

    var string: String {
        String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Canonical URI

    /// Appends the canonical URI of `path`, the request's percent-encoded (wire) path.
    ///
    /// - `normalize`: remove `.` and `..` segments and empty segments (duplicate slashes), as
    ///   RFC 3986 section 5.2.4 and the AWS documentation describe; a trailing slash stays.
    ///   Then, with `doubleEncode`, percent-encode the wire path once more (its `%` become `%25`),
    ///   as every service but S3 expects; without it, encode each segment once.
    /// - Without `normalize` (S3): the path as given, each segment encoded once (escapes are
    ///   decoded first, so an already-encoded path is not encoded twice).
    static func appendPath(_ path: String, normalize: Bool, doubleEncode: Bool, to output: inout [UInt8]) {
        let slash = UInt8(ascii: "/")
        let utf8 = path.utf8
        if utf8.isEmpty {
            output.append(slash)
            return
        }
        guard normalize else {
            // Segment by segment: a decoded "%2F" is re-encoded, never mistaken for a separator.
            var first = true
            for segment in utf8.split(separator: slash, omittingEmptySubsequences: false) {
                if !first { output.append(slash) }
                first = false
                URIEncoding.reencode(segment, into: &output)
            }
            return
        }
        var kept: [Substring.UTF8View] = []
        var trailingSlash = false
        for segment in utf8.split(separator: slash, omittingEmptySubsequences: true) {
            if segment.elementsEqual(".".utf8) {
                trailingSlash = true
            } else if segment.elementsEqual("..".utf8) {
                _ = kept.popLast()
                trailingSlash = true
            } else {
                kept.append(segment)
                trailingSlash = false
            }
        }
        if utf8.last == slash { trailingSlash = true }
        output.append(slash)
        for (index, segment) in kept.enumerated() {
            if index > 0 { output.append(slash) }
            if doubleEncode {
                URIEncoding.encode(segment, into: &output)
            } else {
                URIEncoding.reencode(segment, into: &output)
            }
        }
        if trailingSlash && !kept.isEmpty {
            output.append(slash)
        }
    }

    // MARK: - Canonical query string

    /// One query parameter, name and value percent-encoded the SigV4 way.
    struct QueryParameter {
        var name: [UInt8]
        var value: [UInt8]

        /// A parameter whose name and value are already encoded.
        init(encodedName: some StringProtocol, encodedValue: some StringProtocol) {
            self.name = Array(encodedName.utf8)
            self.value = Array(encodedValue.utf8)
        }

        /// A parameter read from a wire query string: escapes decoded, then encoded again.
        init(wireName: Substring.UTF8View, wireValue: Substring.UTF8View) {
            var name: [UInt8] = []
            name.reserveCapacity(wireName.count)
            URIEncoding.reencode(wireName, into: &name)
            var value: [UInt8] = []
            value.reserveCapacity(wireValue.count)
            URIEncoding.reencode(wireValue, into: &value)
            self.name = name
            self.value = value
        }
    }

    /// The parameters of a percent-encoded (wire) query string, in their original order.
    /// `a&b=` gives `a=` and `b=`; empty components (`a=1&&b=2`) are skipped.
    static func queryParameters(_ query: String?) -> [QueryParameter] {
        guard let query, !query.isEmpty else { return [] }
        let substring = Substring(query)
        var parameters: [QueryParameter] = []
        for component in substring.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = component.firstIndex(of: UInt8(ascii: "=")) {
                parameters.append(QueryParameter(
                    wireName: component[component.startIndex..<equals],
                    wireValue: component[component.index(after: equals)...]))
            } else {
                parameters.append(QueryParameter(wireName: component, wireValue: component[component.endIndex...]))
            }
        }
        return parameters
    }

    /// Appends `name=value` pairs sorted by encoded name, then by encoded value, joined by `&`.
    static func appendQuery(_ parameters: [QueryParameter], to output: inout [UInt8]) {
        let sorted = parameters.sorted { lhs, rhs in
            if lhs.name != rhs.name {
                return lhs.name.lexicographicallyPrecedes(rhs.name)
            }
            return lhs.value.lexicographicallyPrecedes(rhs.value)
        }
        for (index, parameter) in sorted.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "&")) }
            output.append(contentsOf: parameter.name)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: parameter.value)
        }
    }
}
