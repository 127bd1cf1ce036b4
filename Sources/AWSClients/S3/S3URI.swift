import AWSSigning

/// Path-style S3 request paths (`/<bucket>/<key>`), percent-encoded by S3's rules with
/// ``URIEncoding`` (query values are encoded the same way, `/` included).
///
/// Every byte of the UTF-8 form except the unreserved `A-Z a-z 0-9 - . _ ~` is written `%XX`
/// (upper-case hex), and in a key `/` is kept, so `reports/2024 Q1/résumé.json` becomes
/// `reports/2024%20Q1/r%C3%A9sum%C3%A9.json`. The result is signed as is: S3 paths are neither
/// normalised nor encoded twice
/// ([SigV4 canonical request](https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)).
enum S3URI {
    /// `/<bucket>` or `/<bucket>/<key>`.
    static func path(bucket: String, key: String? = nil) -> String {
        var path = "/" + URIEncoding.encode(bucket)
        if let key { path += "/" + URIEncoding.encode(key, keepingSlash: true) }
        return path
    }
}
