extension SigV4Signer {
    /// A request signed in its headers: the headers to send, and the intermediate values of
    /// the computation for tests and debugging.
    ///
    /// ```swift
    /// let signed = signer.signHeaders(method: "POST", url: url, headers: headers, payload: .data(body), date: now)
    /// for header in signed.headers { request.headers.add(name: header.name, value: header.value) }
    /// ```
    ///
    /// Its description and mirror list the header names only.
    ///
    /// - Warning: ``headers``, ``canonicalRequest`` and ``stringToSign`` may hold the session
    ///   token, and the signature authorises this exact request for 15 minutes: do not log them.
    ///
    /// Related AWS documentation:
    /// [Add the signature to the request](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#add-signature-to-request)
    public struct Signed: Sendable, CustomStringConvertible, CustomReflectable {
        /// Every header to send, in order: the caller's (less any `Authorization`, `X-Amz-Date`
        /// and, when replaced, `X-Amz-Security-Token` / `x-amz-content-sha256`), then `Host` when
        /// the caller gave none, `X-Amz-Security-Token` for temporary credentials, `X-Amz-Date`,
        /// `x-amz-content-sha256` with ``Options/signedBodyHeader``, and `Authorization`.
        public let headers: [(name: String, value: String)]
        /// The canonical request whose hash was signed.
        public var canonicalRequest: String { String(decoding: canonicalRequestBytes, as: UTF8.self) }
        /// Kept as bytes: only tests and debugging read it, and a `String` cost every request a copy.
        let canonicalRequestBytes: [UInt8]
        /// The string to sign: algorithm, time, credential scope and canonical request hash.
        public let stringToSign: String
        /// The signature, 64 lower-case hex digits.
        public let signature: String

        /// A description safe to log: header names only.
        public var description: String {
            "SigV4Signer.Signed(headers: [\(headers.map(\.name).joined(separator: ", "))], signature: <redacted>)"
        }

        /// A mirror with header names only, for `dump(_:)` and test failure messages.
        public var customMirror: Mirror {
            Mirror(self, children: ["headers": headers.map(\.name), "signature": "<redacted>"], displayStyle: .struct)
        }
    }
}
