/// How long to wait for a metadata endpoint (instance metadata, container credentials) and how
/// often to ask, from the AWS SDKs' variables:
///
/// - `AWS_METADATA_SERVICE_TIMEOUT`: seconds per attempt, a positive number.
/// - `AWS_METADATA_SERVICE_NUM_ATTEMPTS`: attempts, a positive whole number.
///
/// A value that is set but unusable is an error, not a silent default: a typo must not turn a
/// slow endpoint into "no credentials".
struct MetadataServiceSettings: Sendable, Equatable {
    static let timeoutVariable = "AWS_METADATA_SERVICE_TIMEOUT"
    static let attemptsVariable = "AWS_METADATA_SERVICE_NUM_ATTEMPTS"

    var timeout: Duration
    var attempts: Int

    /// The settings for `provider`: explicit values first, then the environment, then the defaults.
    static func resolve(provider: String, environment: [String: String], timeout: Duration?, attempts: Int?,
                        defaultTimeout: Duration, defaultAttempts: Int) -> Result<Self, CredentialError> {
        var settings = MetadataServiceSettings(timeout: timeout ?? defaultTimeout, attempts: max(1, attempts ?? defaultAttempts))
        if timeout == nil, let text = environment.nonEmpty(timeoutVariable) {
            guard let seconds = Double(text), seconds > 0, seconds <= 3_600 else {
                return .failure(.invalid(provider, "\(timeoutVariable) must be a number of seconds above 0 (got '\(text)')"))
            }
            settings.timeout = .milliseconds(Int64((seconds * 1_000).rounded(.up)))
        }
        if attempts == nil, let text = environment.nonEmpty(attemptsVariable) {
            guard let count = Int(text), (1...10).contains(count) else {
                return .failure(.invalid(provider, "\(attemptsVariable) must be a whole number from 1 to 10 (got '\(text)')"))
            }
            settings.attempts = count
        }
        return .success(settings)
    }
}
