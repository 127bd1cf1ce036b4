import AWSSigning
import Foundation
import Logging

/// Signs, sends and retries requests to one AWS service at one endpoint.
///
/// Protocol clients (``DynamoDBClient``, ``KMSClient``, ``S3Client``, ``STSClient``) are thin
/// layers over it.
public struct AWSServiceClient: Sendable {
    public let service: AWSService
    public let endpoint: URL
    public let region: String
    public let credentials: any CredentialProvider
    public let transport: any HTTPTransport
    public let retry: RetryStrategy
    /// Per-attempt timeout.
    public let timeout: Duration
    public let counters: RequestCounters
    /// The endpoints that have answered this run (shared by the run's clients).
    public let contacts: EndpointContacts
    public let logger: Logger
    private let quota: RetryQuota
    private let limiter: ClientRateLimiter?
    private let now: @Sendable () -> Date
    private let signingKeys = SigningKeyCache()
    /// The endpoint with path `/` and its `Host` header: every JSON-protocol request's, built once.
    private let root: (url: URL, host: String)?

    public init(service: AWSService, endpoint: URL, region: String, credentials: any CredentialProvider,
                transport: any HTTPTransport, retry: RetryStrategy = .standard(), timeout: Duration = .seconds(30),
                counters: RequestCounters = RequestCounters(), contacts: EndpointContacts = EndpointContacts(),
                logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.service = service
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.counters = counters
        self.contacts = contacts
        self.logger = logger
        self.quota = RetryQuota()
        self.limiter = retry.mode == .adaptive
            ? ClientRateLimiter(clock: retry.rateLimiterClock, observer: retry.rateLimiterObserver) : nil
        self.now = now
        var rootText = endpoint.absoluteString
        if !rootText.hasSuffix("/") { rootText += "/" }
        self.root = URL(string: rootText).map { ($0, Self.hostHeader($0)) }
    }

    /// One request as a protocol client builds it.
    public struct Request: Sendable {
        public var operation: String
        public var method: String
        /// Already percent-encoded, starting with `/`.
        public var path: String
        /// Already percent-encoded name/value pairs.
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]
        public var body: Data

        public init(operation: String, method: String = "POST", path: String = "/",
                    query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [],
                    body: Data = Data()) {
            self.operation = operation
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    /// Sends `request`, retrying throttling and transient failures under ``retry``, within the
    /// client's retry quota and (adaptive mode) through its rate limiter.
    ///
    /// - Parameter signed: `false` sends the request without a signature (STS
    ///   `AssumeRoleWithWebIdentity`), and without asking ``credentials`` for any. Only the
    ///   signing differs: an unsigned request is retried, counted against the quota and rate
    ///   limited like a signed one, as botocore does.
    /// A refused connection to an endpoint that has answered nothing in this run (``contacts``) is
    /// final after these attempts: the error says so (``AWSError/isUnreachable``), so that the
    /// layers above do not retry it again.
    ///
    /// - Returns: the 2xx reply.
    /// - Throws: ``AWSError`` (service code, status, request id, attempts), ``CredentialError``.
    public func send(_ request: Request, signed: Bool = true) async throws -> HTTPReply {
        let (url, host) = try requestURL(request)
        var attempt = 0
        var lastRetryCost: Int?
        while true {
            attempt += 1
            try Task.checkCancellation()
            if let limiter { try await limiter.acquire() }
            let exchange = try await exchange(request, url: url, host: host, signed: signed)
            counters.request()
            let error: AWSError
            do {
                let reply = try await transport.send(exchange, timeout: timeout)
                contacts.recordAnswer(from: url.hostAndPort)
                if (200..<300).contains(reply.status) {
                    quota.release(lastRetryCost: lastRetryCost)
                    if let limiter { await limiter.update(throttled: false) }
                    return reply
                }
                error = ErrorParsing.parse(reply, service: service, operation: request.operation)
            } catch let failure as TransportFailure {
                error = failure.isTimeout ? .timeout(service.name, request.operation)
                    : failure.isConnectionRefused ? .connectionRefused(service.name, request.operation,
                                                                       endpoint: url.hostAndPort)
                    : .transport(service.name, request.operation, failure.description)
            }
            if error.isThrottling { counters.throttle() }
            if let limiter { await limiter.update(throttled: error.slowsRateLimiter) }
            guard error.isThrottling || error.isTransient, attempt < retry.maxAttempts,
                  let cost = quota.acquire(afterTimeout: error.isTimeout)
            else {
                var final = error
                final.attempts = attempt
                if final.isConnectionRefused, !contacts.hasAnswered(url.hostAndPort) { final.markUnreachable() }
                throw final
            }
            lastRetryCost = cost
            counters.retry()
            let delay = retry.backoff(retry: attempt - 1)
            logger.debug("retrying", metadata: [
                "service": "\(service.name)", "operation": "\(request.operation)", "attempt": "\(attempt)",
                "code": "\(error.code ?? error.statusCode.map(String.init) ?? "transport")",
                "delayMs": "\(Int(delay.seconds * 1000))",
            ])
            try await Task.sleep(for: delay)
        }
    }

    /// The request's URL and `Host` header.
    private func requestURL(_ request: Request) throws -> (url: URL, host: String) {
        if request.path == "/", request.query.isEmpty, let root { return root }
        var text = endpoint.absoluteString
        if text.hasSuffix("/") { text.removeLast() }
        text += request.path
        if !request.query.isEmpty {
            text += "?" + request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        }
        guard let url = URL(string: text) else {
            throw AWSError.invalidResponse(service.name, request.operation, "cannot form a URL for this request")
        }
        return (url, Self.hostHeader(url))
    }

    /// `request` as it goes on the wire: with its `Host` header and, when `signed`, its SigV4
    /// signature from the current credentials.
    private func exchange(_ request: Request, url: URL, host: String, signed: Bool) async throws -> HTTPExchange {
        var headers = request.headers
        headers.append((name: "Host", value: host))
        guard signed else { return HTTPExchange(method: request.method, url: url, headers: headers, body: request.body) }
        let credentials = try await credentials.credentials(logger: logger)
        var signer = SigV4Signer(credentials: credentials, region: region, service: service.signingName)
        signer.keyCache = signingKeys
        // S3 paths are signed as sent: not normalised, not encoded twice, with x-amz-content-sha256.
        let options: SigV4Signer.Options = service.isS3 ? .s3 : .standard
        let signature = signer.signHeaders(method: request.method, url: url, headers: headers,
                                           payload: .data(request.body), date: now(), options: options)
        return HTTPExchange(method: request.method, url: url, headers: signature.headers, body: request.body)
    }

    static func hostHeader(_ url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port else { return host }
        if (url.scheme == "https" && port == 443) || (url.scheme == "http" && port == 80) { return host }
        return "\(host):\(port)"
    }
}
