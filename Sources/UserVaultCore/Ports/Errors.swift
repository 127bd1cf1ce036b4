import Foundation

/// A failure of the users table. Descriptions are safe to log: they never hold item values.
public struct UserTableError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case duplicateEmail, idExists, conditionFailed, tableNotFound, throttled, unavailable, invalidItem
    }
    private var code: Code
    /// A safe, human-readable detail.
    public var detail: String
    /// An unavailable table whose endpoint has answered nothing in this run (see ``unreachable(_:)``).
    public private(set) var isUnreachable = false

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// Another user already has this email (in any letter case).
    public static let duplicateEmail = UserTableError(.duplicateEmail, "a user with this email already exists")
    /// The id is taken (a UUID collision or a replayed request).
    public static let idExists = UserTableError(.idExists, "a user with this id already exists")
    public static func conditionFailed(_ detail: String = "the item changed since it was read") -> Self { .init(.conditionFailed, detail) }
    public static func tableNotFound(_ table: String) -> Self { .init(.tableNotFound, "table '\(table)' does not exist (run `uservault init`)") }
    public static func throttled(_ detail: String = "the table is throttling requests") -> Self { .init(.throttled, detail) }
    public static func unavailable(_ detail: String) -> Self { .init(.unavailable, detail) }
    /// Unavailable, and its endpoint has never answered in this run (connection refused from the
    /// first request on): a wrong address, not an outage. Still ``unavailable(_:)`` to the API
    /// (503); to a job, a final ``ServiceFailure`` that no page retry can change.
    public static func unreachable(_ detail: String) -> Self {
        var error = Self(.unavailable, detail)
        error.isUnreachable = true
        return error
    }
    public static func invalidItem(_ detail: String) -> Self { .init(.invalidItem, detail) }

    public var isThrottling: Bool { code == .throttled }
    public var isConditionFailure: Bool { code == .conditionFailed || code == .idExists || code == .duplicateEmail }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { detail }
}

/// A failure of the key service, keeping the service's own error code where there is one.
public struct KeyServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case notFound, disabled, invalidState, invalidCiphertext, incorrectKey, accessDenied, throttled, unavailable
    }
    private var code: Code
    public var detail: String
    /// An unavailable service whose endpoint has answered nothing in this run (see ``unreachable(_:)``).
    public private(set) var isUnreachable = false

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public static func notFound(_ detail: String = "key not found") -> Self { .init(.notFound, detail) }
    public static func disabled(_ detail: String = "key is disabled") -> Self { .init(.disabled, detail) }
    public static func invalidState(_ detail: String = "key is not in a usable state") -> Self { .init(.invalidState, detail) }
    public static func invalidCiphertext(_ detail: String = "not a valid ciphertext for this key and context") -> Self { .init(.invalidCiphertext, detail) }
    public static func incorrectKey(_ detail: String = "the ciphertext was sealed under another key") -> Self { .init(.incorrectKey, detail) }
    public static func accessDenied(_ detail: String = "access denied") -> Self { .init(.accessDenied, detail) }
    public static func throttled(_ detail: String = "the key service is throttling requests") -> Self { .init(.throttled, detail) }
    public static func unavailable(_ detail: String) -> Self { .init(.unavailable, detail) }
    /// Unavailable, and its endpoint has never answered in this run: see ``UserTableError/unreachable(_:)``.
    public static func unreachable(_ detail: String) -> Self {
        var error = Self(.unavailable, detail)
        error.isUnreachable = true
        return error
    }

    public static let notFound = notFound()
    public static let disabled = disabled()
    public static let invalidState = invalidState()
    public static let invalidCiphertext = invalidCiphertext()
    public static let incorrectKey = incorrectKey()
    public static let accessDenied = accessDenied()
    public static let throttled = throttled()

    public var isThrottling: Bool { code == .throttled }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { detail }
}

/// A service that could not answer at all — throttling, 5xx, the network, timeouts — after the
/// client's own retries. Unlike an answer about one user's key (AccessDenied on it, an unusable
/// key), it says nothing about the data: a job never turns it into a finding. The page it hit is
/// not committed and is tried again later in the run; a run that still cannot get through stops
/// as it would on SIGTERM, with a partial report, and `--resume` redoes exactly those pages.
///
/// ```swift
/// if let failure = ServiceFailure(error) { throw failure }   // not a verdict
/// ```
public struct ServiceFailure: Error, Sendable, CustomStringConvertible {
    /// What failed, naming the service and operation (e.g. `tagging GetResources failed: ...`).
    public var detail: String
    /// The service's endpoint has answered nothing in this run (a refused connection from the
    /// first request on): no retry of the page can change that, so the run stops at once.
    public var isFinal: Bool

    public init(detail: String, isFinal: Bool = false) {
        self.detail = detail
        self.isFinal = isFinal
    }

    /// The service failure `error` is, or `nil` when it is an answer (a verdict) or a programming error.
    public init?(_ error: any Error) {
        switch error {
        case let error as ServiceFailure: self = error
        case let error as KeyServiceError where error.isServiceFailure:
            self.init(detail: error.detail, isFinal: error.isUnreachable)
        case let error as UserTableError where error.isServiceFailure:
            self.init(detail: error.detail, isFinal: error.isUnreachable)
        default: return nil
        }
    }

    public var description: String { detail }

    /// `results` when none is a service failure; otherwise throws the first one — a batch a
    /// service failed under gives no verdict about anyone in it.
    public static func check<T>(_ results: [Result<T, any Error>]) throws -> [Result<T, any Error>] {
        for case .failure(let error) in results {
            if let failure = ServiceFailure(error) { throw failure }
        }
        return results
    }
}

extension KeyServiceError {
    /// Throttling or an unavailable service: not an answer about the key (see ``ServiceFailure``).
    public var isServiceFailure: Bool { code == .throttled || code == .unavailable }
}

extension UserTableError {
    /// Throttling or an unavailable service: not an answer about the item (see ``ServiceFailure``).
    public var isServiceFailure: Bool { code == .throttled || code == .unavailable }
}
