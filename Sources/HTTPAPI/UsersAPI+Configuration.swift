extension UsersAPI {
    /// Tunables of the HTTP API; every parameter has a default.
    public struct Configuration: Sendable {
        /// Request bodies larger than this are refused with 413.
        public var maxBodyBytes: Int
        /// Prefix of every link and `Location` the API writes: `""` for root-relative links,
        /// `"/prod"` for an API Gateway stage, or an absolute URL such as
        /// `"https://api.example.com/v1"`. Its path part is also stripped from incoming
        /// paths that carry it.
        public var basePath: String

        public init(maxBodyBytes: Int = 1_048_576, basePath: String = "") {
            self.maxBodyBytes = maxBodyBytes
            self.basePath = basePath
        }
    }
}
