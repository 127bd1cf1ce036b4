import AWSSigning
import Foundation

/// A recipe for a ``CredentialProvider``, composed from static factory members and built once
/// a transport exists (soto-core's `CredentialProviderFactory`).
///
/// ```swift
/// let files = try SharedConfigFiles.load(environment: environment)
/// let credentials: CredentialProviders = .chain([
///     .environment(environment),
///     .profile("dev", files: files, environment: environment),
///     .container(environment: environment),
///     .instanceMetadata(environment: environment),
/// ])
/// let provider = credentials.makeProvider(context: context)
/// ```
///
/// ``defaultChain(environment:files:profile:explicit:)`` is the order of the AWS
/// SDKs. Environment variables are never read here: every member takes the environment that
/// the caller read once, at the edge of the program.
public struct CredentialProviders: Sendable, CustomStringConvertible {
    /// What the recipe builds, e.g. `chain(environment, profile 'default', instance metadata)`.
    /// Never holds a secret.
    public let description: String
    private let make: @Sendable (CredentialProviderContext) -> any CredentialProvider

    /// A recipe from a closure; `description` names it (never put a secret in it).
    public init(_ description: String, make: @escaping @Sendable (CredentialProviderContext) -> any CredentialProvider) {
        self.description = description
        self.make = make
    }

    /// Builds the provider. Nothing is fetched until its first ``CredentialProvider/credentials(logger:)``.
    public func makeProvider(context: CredentialProviderContext) -> any CredentialProvider {
        make(context)
    }

    /// An existing provider.
    public static func provider(_ provider: any CredentialProvider, name: String = "custom") -> CredentialProviders {
        CredentialProviders(name) { _ in provider }
    }

    /// Fixed credentials, e.g. from `--access-key-id`-style flags.
    public static func explicit(_ credentials: AWSCredentials) -> CredentialProviders {
        CredentialProviders("explicit") { _ in StaticCredentialProvider(credentials) }
    }

    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` from `environment`.
    public static func environment(_ environment: [String: String]) -> CredentialProviders {
        CredentialProviders("environment") { _ in EnvironmentCredentialProvider(environment: environment) }
    }

    /// `AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE` (+ `AWS_ROLE_SESSION_NAME`) through STS
    /// `AssumeRoleWithWebIdentity`.
    public static func webIdentity(environment: [String: String]) -> CredentialProviders {
        CredentialProviders("web identity") { context in
            WebIdentityCredentialProvider(environment: environment, context: context)
        }
    }

    /// A profile of the shared `config`/`credentials` files: static keys, `role_arn` with
    /// `source_profile`/`credential_source`/`web_identity_token_file`, or `credential_process`.
    public static func profile(_ name: String, files: SharedConfigFiles, environment: [String: String],
                               explicitlySelected: Bool = false) -> CredentialProviders {
        CredentialProviders("profile '\(name)'") { context in
            ProfileCredentialProvider(profile: name, files: files, environment: environment, context: context,
                                      explicitlySelected: explicitlySelected)
        }
    }

    /// ECS/EKS container credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`).
    public static func container(environment: [String: String]) -> CredentialProviders {
        CredentialProviders("container") { context in
            ContainerCredentialProvider(environment: environment, transport: context.transport)
        }
    }

    /// EC2 instance metadata (IMDSv2).
    public static func instanceMetadata(environment: [String: String]) -> CredentialProviders {
        CredentialProviders("instance metadata") { context in
            InstanceMetadataCredentialProvider(environment: environment, transport: context.transport)
        }
    }

    /// The first of `providers` that has credentials; see ``ChainCredentialProvider``.
    public static func chain(_ providers: [CredentialProviders]) -> CredentialProviders {
        CredentialProviders("chain(\(providers.map(\.description).joined(separator: ", ")))") { context in
            ChainCredentialProvider(providers.map { $0.makeProvider(context: context) })
        }
    }

    /// The AWS SDKs' default chain: explicit credentials (flags) → environment → web identity →
    /// the shared files' profile → container → instance metadata.
    ///
    /// - Parameters:
    ///   - profile: the profile name from the `--profile` flag, or `nil`; then `AWS_PROFILE`,
    ///     then `default`.
    ///   - explicit: credentials given as flags.
    ///
    /// As in the AWS CLI, a profile chosen with the `--profile` flag takes the environment's
    /// keys out of the chain (`AWS_PROFILE` does not).
    public static func defaultChain(environment: [String: String], files: SharedConfigFiles, profile: String? = nil,
                                    explicit: AWSCredentials? = nil) -> CredentialProviders {
        let name = profile ?? environment.nonEmpty("AWS_PROFILE") ?? "default"
        let explicitlySelected = profile != nil || environment.nonEmpty("AWS_PROFILE") != nil
        var providers: [CredentialProviders] = []
        if let explicit { providers.append(.explicit(explicit)) }
        if profile == nil { providers.append(.environment(environment)) }
        providers.append(.webIdentity(environment: environment))
        providers.append(.profile(name, files: files, environment: environment, explicitlySelected: explicitlySelected))
        providers.append(.container(environment: environment))
        providers.append(.instanceMetadata(environment: environment))
        return .chain(providers)
    }
}

extension Dictionary where Key == String, Value == String {
    /// The value of `key`, or `nil` when unset or empty (as the AWS SDKs treat empty variables).
    func nonEmpty(_ key: String) -> String? {
        guard let value = self[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }
}
