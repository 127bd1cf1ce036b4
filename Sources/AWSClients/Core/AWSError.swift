import Foundation

/// A failed AWS call: the service's own error code, message, HTTP status and request id — and
/// never the request body. Safe to log.
///
/// ```swift
/// do { try await kms.describeKey(keyId: id) }
/// catch let error as AWSError where error.code == "NotFoundException" { ... }
/// ```
public struct AWSError: Error, Sendable, CustomStringConvertible {
    private enum Kind: Sendable, Hashable {
        /// The service answered with an error.
        case service
        /// No usable answer: connection refused or reset, TLS, DNS, truncated body.
        case transport
        /// Nothing listens at the endpoint: the connection was refused.
        case connectionRefused
        /// The request timed out.
        case timeout
        /// The answer could not be understood.
        case invalidResponse
    }

    private var kind: Kind
    /// The service, e.g. `dynamodb`, `kms`.
    public var service: String
    /// The operation, e.g. `Scan`, `ReEncrypt`.
    public var operation: String
    /// The service's error code, e.g. `ProvisionedThroughputExceededException`.
    public var code: String?
    /// The service's message, truncated; never the request.
    public var message: String?
    public var statusCode: Int?
    public var requestId: String?
    /// How many attempts were made before giving up.
    public var attempts: Int = 1
    /// DynamoDB `TransactionCanceledException`: one code per transaction item (`None`,
    /// `ConditionalCheckFailed`, …), in order.
    public var cancellationReasons: [String]?

    public static func service(_ service: String, _ operation: String, code: String?, message: String?,
                               statusCode: Int, requestId: String?) -> AWSError {
        AWSError(kind: .service, service: service, operation: operation, code: code,
                 message: message.map { String($0.prefix(300)) }, statusCode: statusCode, requestId: requestId)
    }

    public static func transport(_ service: String, _ operation: String, _ detail: String) -> AWSError {
        AWSError(kind: .transport, service: service, operation: operation, code: nil, message: String(detail.prefix(300)),
                 statusCode: nil, requestId: nil)
    }

    /// `endpoint` is `host:port`.
    public static func connectionRefused(_ service: String, _ operation: String, endpoint: String) -> AWSError {
        AWSError(kind: .connectionRefused, service: service, operation: operation, code: nil, message: endpoint,
                 statusCode: nil, requestId: nil)
    }

    public static func timeout(_ service: String, _ operation: String) -> AWSError {
        AWSError(kind: .timeout, service: service, operation: operation, code: nil, message: "the request timed out",
                 statusCode: nil, requestId: nil)
    }

    public static func invalidResponse(_ service: String, _ operation: String, _ detail: String,
                                       statusCode: Int? = nil, requestId: String? = nil) -> AWSError {
        AWSError(kind: .invalidResponse, service: service, operation: operation, code: nil,
                 message: String(detail.prefix(300)), statusCode: statusCode, requestId: requestId)
    }

    /// An error from the service itself (as opposed to the network).
    public var isServiceError: Bool { kind == .service }
    public var isTimeout: Bool { kind == .timeout }
    public var isTransportError: Bool { kind == .transport || kind == .timeout || kind == .connectionRefused }
    /// The endpoint refused the connection: nothing listens there (a retryable transport error).
    public var isConnectionRefused: Bool { kind == .connectionRefused }
    /// The connection was refused by an endpoint that has answered no request of this run (see
    /// ``EndpointContacts``): a wrong address or nothing running there, final after the client's
    /// own attempts — retrying the work above them cannot help.
    public private(set) var isUnreachable = false

    mutating func markUnreachable() {
        isUnreachable = kind == .connectionRefused
    }

    /// Throttling, by the service's error code (HTTP 400 for DynamoDB's
    /// `ProvisionedThroughputExceededException`, so never by status alone).
    public var isThrottling: Bool {
        guard let code else { return statusCode == 429 }
        return AWSErrorCodes.throttling.contains(code) || statusCode == 429
    }

    /// Throttling as the adaptive mode's rate limiter counts it: by the service's error code
    /// alone, one of botocore's (`ThrottledRetryableChecker`), as its `ThrottlingErrorDetector`
    /// decides. (Retries also treat HTTP 429 and `ThrottlingError` as throttling; the limiter,
    /// like botocore's, does not slow down for them.)
    public var slowsRateLimiter: Bool {
        guard kind == .service, let code else { return false }
        return AWSErrorCodes.rateLimiterThrottling.contains(code)
    }

    /// Transient: worth retrying (5xx, timeouts, resets, truncated answers, transient codes).
    public var isTransient: Bool {
        switch kind {
        case .transport, .timeout, .connectionRefused: return true
        case .invalidResponse: return statusCode.map { $0 >= 500 } ?? true
        case .service:
            if let code, AWSErrorCodes.transient.contains(code) { return true }
            return [500, 502, 503, 504].contains(statusCode ?? 0)
        }
    }

    /// A wrong secret or a clock skew: the signature was refused.
    public var isSignatureProblem: Bool {
        guard let code else { return false }
        return ["InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature",
                "InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure"].contains(code)
    }

    public var description: String {
        var text = "\(service) \(operation) failed"
        switch kind {
        case .service:
            text += ": \(code ?? "error")"
            if let statusCode { text += " (HTTP \(statusCode))" }
            if let message, !message.isEmpty { text += ": \(message)" }
        case .transport: text += ": connection problem: \(message ?? "unknown")"
        case .connectionRefused: text += ": connection refused by \(message ?? "the endpoint")"
        case .timeout: text += ": timed out"
        case .invalidResponse: text += ": unexpected response: \(message ?? "")"
        }
        if let requestId { text += " [request id \(requestId)]" }
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text
    }
}

/// Error codes by retry class, as the AWS SDKs classify them.
public enum AWSErrorCodes {
    public static let throttling: Set<String> = rateLimiterThrottling.union(["ThrottlingError"])
    /// botocore's throttling codes (`ThrottledRetryableChecker`), which alone slow the adaptive
    /// rate limiter (none of DynamoDB, KMS, S3, STS or Tagging models another throttling error).
    public static let rateLimiterThrottling: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete", "EC2ThrottledException",
    ]
    public static let transient: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "InternalServerError",
        "ServiceUnavailable", "ServiceUnavailableException", "KMSInternalException", "InternalServerException",
        "KeyUnavailableException", "DependencyTimeoutException",
    ]
}
