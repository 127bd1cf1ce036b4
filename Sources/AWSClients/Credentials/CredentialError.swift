/// Why credentials could not be had. Never holds a secret: no key, token or process output.
///
/// ```swift
/// do { _ = try await provider.credentials(logger: logger) }
/// catch let error as CredentialError where error.isNotConfigured { /* try something else */ }
/// ```
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        /// The provider has nothing to offer; a chain moves on.
        case notConfigured
        /// The provider is configured but its configuration or its answer is unusable.
        case invalid
        /// No provider in a chain had credentials.
        case noneFound
    }

    private var code: Code
    /// One line, safe to log.
    public var description: String
    /// The provider that failed, e.g. `environment`, `profile 'dev'`, `instance metadata`.
    public var provider: String?
    /// What went wrong underneath (an ``AWSError`` from STS, a transport failure), if anything.
    /// Its description is safe to log too.
    public var underlying: (any Error & Sendable)?

    /// `true` when the provider simply has nothing to offer (the chain moves on); `false` when
    /// it is configured but broken (the chain stops and reports it).
    public var isNotConfigured: Bool { code == .notConfigured }

    /// `true` for the error of a chain in which no provider had credentials.
    public var isNoneFound: Bool { code == .noneFound }

    public init(_ description: String, notConfigured: Bool = false) {
        self.code = notConfigured ? .notConfigured : .invalid
        self.description = description
    }

    private init(code: Code, provider: String?, description: String, underlying: (any Error & Sendable)?) {
        self.code = code
        self.provider = provider
        self.description = description
        self.underlying = underlying
    }

    /// `provider` has nothing to offer, because of `reason`.
    public static func notConfigured(_ provider: String, _ reason: String) -> CredentialError {
        CredentialError(code: .notConfigured, provider: provider, description: "\(provider): \(reason)", underlying: nil)
    }

    /// `provider` is configured but cannot produce credentials.
    public static func invalid(_ provider: String, _ reason: String,
                               underlying: (any Error & Sendable)? = nil) -> CredentialError {
        var text = "\(provider): \(reason)"
        if let underlying { text += ": \(Self.oneLine("\(underlying)"))" }
        return CredentialError(code: .invalid, provider: provider, description: text, underlying: underlying)
    }

    /// No provider of a chain had credentials; `reasons` are the providers' not-configured errors.
    public static func noneFound(_ reasons: [CredentialError]) -> CredentialError {
        let tried = reasons.map(\.description).joined(separator: "; ")
        let text = tried.isEmpty ? "no AWS credentials found" : "no AWS credentials found (tried \(tried))"
        return CredentialError(code: .noneFound, provider: nil, description: text, underlying: nil)
    }

    static func oneLine(_ text: String) -> String {
        String(text.split(whereSeparator: \.isNewline).joined(separator: " ").prefix(400))
    }
}
