import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signs AWS requests with Signature Version 4 (SigV4), in the `Authorization` header or in
/// the query string of a presigned URL.
///
/// ```swift
/// let signer = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "dynamodb")
/// let signed = signer.signHeaders(
///     method: "POST",
///     url: URL(string: "https://dynamodb.eu-west-1.amazonaws.com/")!,
///     headers: [(name: "Content-Type", value: "application/x-amz-json-1.0"),
///               (name: "X-Amz-Target", value: "DynamoDB_20120810.GetItem")],
///     payload: .data(body),
///     date: clock.now)
/// // signed.headers: the given headers, Host, X-Amz-Date and Authorization
/// ```
///
/// The signer is a value without state: it does no I/O, reads no clock (the signing time is
/// the `date:` parameter, so signatures are reproducible in tests) and is cheap to create for
/// each request. Canonicalisation follows the AWS documentation and is checked against the
/// public aws-c-auth test vectors.
///
/// - Warning: Sign the request exactly as it will be sent: the same method, path, query,
///   signed header values and body. The URL must be percent-encoded the way it goes on the
///   wire (`URL(string:)` does this for spaces and non-ASCII characters).
///
/// Related AWS documentation:
/// - [AWS Signature Version 4 for API requests](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html)
/// - [Elements of an AWS API request signature](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html)
/// - [Create a signed AWS API request](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
public struct SigV4Signer: Sendable {
    /// The credentials that sign. Their description is redacted.
    public let credentials: AWSCredentials
    /// The region of the credential scope (`us-east-1`).
    public let region: String
    /// The signing name of the service (`dynamodb`, `kms`, `s3`, `sts`).
    public let service: String
    /// Where the derived signing key is kept between requests; `nil` derives it every time.
    public var keyCache: SigningKeyCache?

    /// Creates a signer for one region and service.
    ///
    /// ```swift
    /// let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "kms")
    /// ```
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    static let algorithm = "AWS4-HMAC-SHA256"

    // MARK: - Header signing

    /// Signs a request in its headers: adds `X-Amz-Date`, `X-Amz-Security-Token` (temporary
    /// credentials), `x-amz-content-sha256` (with ``Options/signedBodyHeader``) and
    /// `Authorization`.
    ///
    /// ```swift
    /// let signed = signer.signHeaders(method: "PUT", url: objectURL,
    ///                                 headers: [(name: "Content-Type", value: "application/json")],
    ///                                 payload: .data(body), date: now, options: .s3)
    /// ```
    ///
    /// Every given header is signed except those that are hop-by-hop or rewritten in transit
    /// (`Connection`, `Expect`, `Transfer-Encoding`, `Upgrade`, `User-Agent`,
    /// `X-Amzn-Trace-Id`), which are passed through unsigned. When `headers` has no `Host`, one
    /// is made from the URL, signed and returned.
    ///
    /// - Parameters:
    ///   - method: The HTTP method, as sent (`GET`).
    ///   - url: The request URL, percent-encoded as sent.
    ///   - headers: The headers to send. Several with the same name are signed as one, their
    ///     values joined by `,` in order.
    ///   - payload: The body, or its hash. Default: an empty body.
    ///   - date: The signing time (the request is valid for about 15 minutes around it).
    ///   - options: The service's canonicalisation rules. Default ``Options/standard``.
    /// - Returns: The headers to send, with the canonical request, string to sign and signature.
    ///
    /// Related AWS documentation:
    /// [Create a signed AWS API request](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
    /// [Signature calculations for the Authorization header (Amazon S3)](https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html)
    public func signHeaders(
        method: String,
        url: URL,
        headers: [(name: String, value: String)] = [],
        payload: Payload = .empty,
        date: Date,
        options: Options = Options()
    ) -> Signed {
        let time = SigningTime(date)
        let payloadHash = payload.hashedValue
        let token = credentials.sessionToken

        var sent: [(name: String, value: String)] = []
        sent.reserveCapacity(headers.count + 5)
        var signing: [CanonicalHeaders.Entry] = []
        signing.reserveCapacity(headers.count + 4)
        var hasHost = false
        for header in headers {
            let name = HeaderName(header.name)
            if name.isOwnedBySigner
                || (token != nil && name.is("x-amz-security-token"))
                || (options.signedBodyHeader && name.is("x-amz-content-sha256")) {
                continue
            }
            if name.is("host") {
                hasHost = true
            }
            sent.append(header)
            if !name.isUnsignable {
                signing.append(.init(name: name, value: header.value))
            }
        }
        if !hasHost {
            let host = Self.hostHeader(for: url)
            sent.append((name: "Host", value: host))
            signing.append(.init(name: HeaderName("host"), value: host))
        }
        if let token {
            sent.append((name: "X-Amz-Security-Token", value: token))
            if !options.omitSessionToken {
                signing.append(.init(name: HeaderName("x-amz-security-token"), value: token))
            }
        }
        sent.append((name: "X-Amz-Date", value: time.timestamp))
        signing.append(.init(name: HeaderName("x-amz-date"), value: time.timestamp))
        if options.signedBodyHeader {
            sent.append((name: "x-amz-content-sha256", value: payloadHash))
            signing.append(.init(name: HeaderName("x-amz-content-sha256"), value: payloadHash))
        }

        let canonicalHeaders = CanonicalHeaders(signing)
        let canonical = CanonicalRequest(
            method: method,
            path: url.path(percentEncoded: true),
            query: CanonicalRequest.queryParameters(url.query(percentEncoded: true)),
            headers: canonicalHeaders,
            payloadHash: payloadHash,
            normalizePath: options.normalizePath,
            doubleEncodePath: options.doubleEncodePath
        )
        let scope = credentialScope(time)
        let computed = sign(canonical, time: time, scope: scope)

        var authorization = Self.algorithm
        authorization.reserveCapacity(80 + credentials.accessKeyId.utf8.count + scope.utf8.count
            + canonicalHeaders.signedHeaders.utf8.count + computed.signature.utf8.count)
        authorization += " Credential="
        authorization += credentials.accessKeyId
        authorization += "/"
        authorization += scope
        authorization += ", SignedHeaders="
        authorization += canonicalHeaders.signedHeaders
        authorization += ", Signature="
        authorization += computed.signature
        sent.append((name: "Authorization", value: authorization))

        return Signed(
            headers: sent,
            canonicalRequestBytes: computed.canonicalRequest,
            stringToSign: computed.stringToSign,
            signature: computed.signature
        )
    }

    // MARK: - Query signing

    /// Presigns a request: returns the URL with the signature in its query string, usable
    /// without any `Authorization` header until it expires.
    ///
    /// ```swift
    /// let presigned = signer.presign(method: "GET", url: objectURL, payload: .unsigned,
    ///                                expires: 900, date: now, options: .s3)
    /// ```
    ///
    /// The query gets `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
    /// `X-Amz-SignedHeaders`, `X-Amz-Expires`, `X-Amz-Security-Token` (temporary credentials)
    /// and `X-Amz-Signature`, after the URL's own parameters. The given headers are signed
    /// (except hop-by-hop ones, as in ``signHeaders(method:url:headers:payload:date:options:)``):
    /// whoever uses the URL must send them with the same values. `Host` is made from the URL
    /// when `headers` has none.
    ///
    /// - Parameters:
    ///   - method: The HTTP method the URL is for.
    ///   - url: The request URL, percent-encoded as sent.
    ///   - headers: Headers the user of the URL will send and that must be signed.
    ///   - payload: The body, or its hash; ``Payload/unsigned`` for S3. Default: an empty body.
    ///   - expires: Seconds the URL stays valid, from 1 to 604800 (7 days).
    ///   - date: The signing time, from which `expires` counts.
    ///   - options: The service's canonicalisation rules (``Options/signedBodyHeader`` does not
    ///     apply). Default ``Options/standard``.
    /// - Returns: The presigned URL, with the canonical request, string to sign and signature.
    ///
    /// - Warning: The URL is a bearer credential until it expires: do not log it.
    ///
    /// Related AWS documentation:
    /// [Authenticating requests: using query parameters (Amazon S3)](https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html),
    /// [Create a signed AWS API request](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
    public func presign(
        method: String,
        url: URL,
        headers: [(name: String, value: String)] = [],
        payload: Payload = .empty,
        expires: Int,
        date: Date,
        options: Options = Options()
    ) -> Presigned {
        let time = SigningTime(date)
        var signing: [CanonicalHeaders.Entry] = []
        signing.reserveCapacity(headers.count + 1)
        var hasHost = false
        for header in headers {
            let name = HeaderName(header.name)
            if name.isOwnedBySigner || name.isUnsignable {
                continue
            }
            if name.is("host") {
                hasHost = true
            }
            signing.append(.init(name: name, value: header.value))
        }
        if !hasHost {
            signing.append(.init(name: HeaderName("host"), value: Self.hostHeader(for: url)))
        }
        let canonicalHeaders = CanonicalHeaders(signing)

        let scope = credentialScope(time)
        let credential = URIEncoding.encode(credentials.accessKeyId + "/" + scope)
        let signedHeaders = URIEncoding.encode(canonicalHeaders.signedHeaders)
        let expiresValue = String(expires)
        let token = credentials.sessionToken.map { URIEncoding.encode($0) }

        let wireQuery = url.query(percentEncoded: true)
        var parameters = CanonicalRequest.queryParameters(wireQuery)
        parameters.reserveCapacity(parameters.count + 6)
        parameters.append(.init(encodedName: "X-Amz-Algorithm", encodedValue: Self.algorithm))
        parameters.append(.init(encodedName: "X-Amz-Credential", encodedValue: credential))
        parameters.append(.init(encodedName: "X-Amz-Date", encodedValue: time.timestamp))
        parameters.append(.init(encodedName: "X-Amz-Expires", encodedValue: expiresValue))
        parameters.append(.init(encodedName: "X-Amz-SignedHeaders", encodedValue: signedHeaders))
        if let token, !options.omitSessionToken {
            parameters.append(.init(encodedName: "X-Amz-Security-Token", encodedValue: token))
        }

        let canonical = CanonicalRequest(
            method: method,
            path: url.path(percentEncoded: true),
            query: parameters,
            headers: canonicalHeaders,
            payloadHash: payload.hashedValue,
            normalizePath: options.normalizePath,
            doubleEncodePath: options.doubleEncodePath
        )
        let computed = sign(canonical, time: time, scope: scope)

        var query = ""
        query.reserveCapacity((wireQuery?.utf8.count ?? 0) + 260 + credential.utf8.count
            + signedHeaders.utf8.count + (token?.utf8.count ?? 0))
        if let wireQuery, !wireQuery.isEmpty {
            query += wireQuery
            query += "&"
        }
        query += "X-Amz-Algorithm="
        query += Self.algorithm
        query += "&X-Amz-Credential="
        query += credential
        query += "&X-Amz-Date="
        query += time.timestamp
        query += "&X-Amz-SignedHeaders="
        query += signedHeaders
        query += "&X-Amz-Expires="
        query += expiresValue
        if let token {
            query += "&X-Amz-Security-Token="
            query += token
        }
        query += "&X-Amz-Signature="
        query += computed.signature

        return Presigned(
            url: Self.replacingQuery(of: url, with: query),
            canonicalRequestBytes: computed.canonicalRequest,
            stringToSign: computed.stringToSign,
            signature: computed.signature
        )
    }

    // MARK: - Signature

    private struct Computation {
        var canonicalRequest: [UInt8]
        var stringToSign: String
        var signature: String
    }

    /// `<date>/<region>/<service>/aws4_request`.
    private func credentialScope(_ time: SigningTime) -> String {
        var scope = time.dateStamp
        scope.reserveCapacity(8 + region.utf8.count + service.utf8.count + 15)
        scope += "/"
        scope += region
        scope += "/"
        scope += service
        scope += "/aws4_request"
        return scope
    }

    /// The string to sign and the signature of a canonical request.
    ///
    /// See [Create a string to sign](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-string-to-sign)
    /// and [Calculate the signature](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#calculate-signature).
    private func sign(_ canonical: CanonicalRequest, time: SigningTime, scope: String) -> Computation {
        let requestHash = SHA256.hash(data: canonical.bytes).withUnsafeBytes(HexEncoding.string)
        var stringToSign = Self.algorithm
        stringToSign.reserveCapacity(Self.algorithm.utf8.count + 18 + scope.utf8.count + 1 + 64)
        stringToSign += "\n"
        stringToSign += time.timestamp
        stringToSign += "\n"
        stringToSign += scope
        stringToSign += "\n"
        stringToSign += requestHash

        var mac = signingMAC(dateStamp: time.dateStamp)
        var message = stringToSign
        message.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        let signature = mac.finalize().withUnsafeBytes(HexEncoding.string)
        return Computation(canonicalRequest: canonical.bytes, stringToSign: stringToSign, signature: signature)
    }

    /// An HMAC keyed with the signing key, from ``keyCache`` when it holds the one for these inputs.
    private func signingMAC(dateStamp: String) -> HMAC<SHA256> {
        guard let keyCache else { return HMAC(key: deriveSigningKey(dateStamp: dateStamp)) }
        return keyCache.mac(credentials: credentials, dateStamp: dateStamp, region: region, service: service) {
            deriveSigningKey(dateStamp: dateStamp)
        }
    }

    /// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    private func deriveSigningKey(dateStamp: String) -> SymmetricKey {
        let secret = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        let dateKey = Self.hmac(secret, dateStamp)
        let regionKey = Self.hmac(SymmetricKey(data: dateKey), region)
        let serviceKey = Self.hmac(SymmetricKey(data: regionKey), service)
        return SymmetricKey(data: Self.hmac(SymmetricKey(data: serviceKey), "aws4_request"))
    }

    private static func hmac(_ key: SymmetricKey, _ message: String) -> HashedAuthenticationCode<SHA256> {
        var message = message
        return message.withUTF8 { bytes in
            HMAC<SHA256>.authenticationCode(for: UnsafeRawBufferPointer(bytes), using: key)
        }
    }

    // MARK: - URL helpers

    /// The `Host` header value of `url`: the host, with the port unless it is the scheme's
    /// default.
    static func hostHeader(for url: URL) -> String {
        var host = url.host(percentEncoded: true) ?? ""
        if host.contains(":") && !host.hasPrefix("[") {
            host = "[" + host + "]"  // an IPv6 literal
        }
        guard let port = url.port else { return host }
        switch (url.scheme?.lowercased(), port) {
        case ("https", 443), ("http", 80):
            return host
        default:
            return host + ":" + String(port)
        }
    }

    /// `url` with its query replaced by `query` (already percent-encoded); path and fragment
    /// unchanged.
    private static func replacingQuery(of url: URL, with query: String) -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else {
            preconditionFailure("SigV4Signer.presign: the URL cannot be decomposed")
        }
        components.percentEncodedQuery = query
        guard let presigned = components.url else {
            preconditionFailure("SigV4Signer.presign: the presigned URL cannot be formed")
        }
        return presigned
    }
}
