import Foundation

extension S3Client {
    /// [ListObjectsV2](https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html):
    /// the keys under `prefix`, one page per request (at most `pageSize`, 1,000 S3's maximum),
    /// fetched as the sequence is read. With a `delimiter` (`/`), keys that go on past it after
    /// the prefix are rolled up into ``S3/ListPage/commonPrefixes`` (the "folders").
    ///
    /// ```swift
    /// for try await page in s3.listObjects(bucket: "reports", prefix: "nightly/audit/", delimiter: "/") {
    ///     folders += page.commonPrefixes      // "nightly/audit/20261206T020000-<runId>/"
    /// }
    /// ```
    public func listObjects(bucket: String, prefix: String? = nil, delimiter: String? = nil,
                            pageSize: Int = 1000) -> Pages<S3.ListPage, String> {
        Pages(first: nil) { token in
            var query: [(name: String, value: String)] = []
            if let token { query.append((name: "continuation-token", value: token)) }
            if let delimiter { query.append((name: "delimiter", value: delimiter)) }
            query.append((name: "list-type", value: "2"))
            query.append((name: "max-keys", value: String(pageSize)))
            if let prefix { query.append((name: "prefix", value: prefix)) }
            let reply = try await send("ListObjectsV2", method: "GET", bucket: bucket, key: nil, query: query)
            guard let document = try? XMLElementTree.parse(reply.body), document.name == "ListBucketResult" else {
                throw AWSError.invalidResponse(client.service.name, "ListObjectsV2", "not a ListBucketResult document",
                                               statusCode: reply.status, requestId: Self.requestId(reply))
            }
            var page = S3.ListPage()
            for element in document.children {
                switch element.name {
                case "Contents": if let key = element.child("Key")?.text { page.keys.append(key) }
                case "CommonPrefixes": if let prefix = element.child("Prefix")?.text { page.commonPrefixes.append(prefix) }
                default: break
                }
            }
            let next = document.child("IsTruncated")?.text == "true" ? document.child("NextContinuationToken")?.text : nil
            return (page, next.flatMap { $0.isEmpty ? nil : $0 })
        }
    }
}

extension S3 {
    /// One page of ``S3Client/listObjects(bucket:prefix:delimiter:pageSize:)``.
    public struct ListPage: Sendable, Hashable {
        /// The object keys, in S3's (UTF-8 binary) order.
        public var keys: [String] = []
        /// With a delimiter: the distinct key prefixes up to and including it.
        public var commonPrefixes: [String] = []

        public init(keys: [String] = [], commonPrefixes: [String] = []) {
            self.keys = keys
            self.commonPrefixes = commonPrefixes
        }
    }
}
