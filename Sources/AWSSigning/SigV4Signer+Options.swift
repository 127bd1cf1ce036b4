extension SigV4Signer {
    /// How a request is canonicalised: the few points on which services differ.
    ///
    /// ```swift
    /// let signed = signer.signHeaders(method: "GET", url: url, date: now)            // most services
    /// let object = signer.signHeaders(method: "PUT", url: url, payload: .data(body),
    ///                                 date: now, options: .s3)                      // Amazon S3
    /// ```
    ///
    /// Related AWS documentation:
    /// - [Create a canonical request](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-canonical-request)
    /// - [Signature calculations for the Authorization header (Amazon S3)](https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html)
    public struct Options: Sendable, Hashable {
        /// Normalise the path before signing: remove `.` and `..` segments and duplicate
        /// slashes (RFC 3986), as every service but S3 expects. Default `true`.
        ///
        /// `false` for S3: the path is used as given (`/a//b/../c` stays so, since those are
        /// object key characters) and encoded once, never twice, whatever ``doubleEncodePath``
        /// says.
        public var normalizePath: Bool

        /// With ``normalizePath``, percent-encode the request's already percent-encoded path a
        /// second time in the canonical request (`/a%20b` signs as `/a%2520b`), as every service
        /// but S3 expects. Default `true`. Ignored when ``normalizePath`` is `false`.
        ///
        /// Set it to `false` only when the URL's path was not encoded for the wire by its
        /// producer, so that the single encoding the URL performed is the one the service
        /// expects (the aws-c-auth vectors `get-space-normalized` and `get-utf8` are such cases).
        public var doubleEncodePath: Bool

        /// Add and sign an `x-amz-content-sha256` header holding the payload hash, as S3
        /// requires. Default `false`. Header signing only: presigned URLs carry no such header.
        public var signedBodyHeader: Bool

        /// Send the session token (`X-Amz-Security-Token`) but leave it out of the signature, as
        /// a few services (IoT) expect. Default `false`: the token is signed.
        public var omitSessionToken: Bool

        /// Creates options; every parameter has the default most services want.
        public init(
            normalizePath: Bool = true,
            doubleEncodePath: Bool = true,
            signedBodyHeader: Bool = false,
            omitSessionToken: Bool = false
        ) {
            self.normalizePath = normalizePath
            self.doubleEncodePath = doubleEncodePath
            self.signedBodyHeader = signedBodyHeader
            self.omitSessionToken = omitSessionToken
        }

        /// The options of every service but S3: normalised, doubly encoded path.
        public static var standard: Options {
            Options()
        }

        /// The options of Amazon S3: the path as given, encoded once, and a signed
        /// `x-amz-content-sha256` header.
        public static var s3: Options {
            Options(normalizePath: false, doubleEncodePath: false, signedBodyHeader: true)
        }
    }
}
