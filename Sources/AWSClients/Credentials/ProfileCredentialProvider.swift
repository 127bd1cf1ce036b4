import AWSSigning
import Foundation
import Logging

/// Credentials from a profile of the shared `config`/`credentials` files, as the AWS SDKs
/// resolve them:
///
/// 1. `role_arn` with `source_profile` (chained: the source may assume a role too),
///    `credential_source` (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`) or
///    `web_identity_token_file` → STS `AssumeRole` / `AssumeRoleWithWebIdentity`
///    (`role_session_name`, `external_id`, `duration_seconds` honoured);
/// 2. `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`);
/// 3. `credential_process` → ``ProcessCredentialProvider``.
///
/// For a source profile, static keys win over its own `role_arn` (as in botocore). A profile
/// without any of these is "not configured", so a chain moves on; a missing profile too,
/// unless it was selected explicitly (`--profile`, `AWS_PROFILE`). Cycles of `source_profile`
/// and half-configured roles are errors.
///
/// ```swift
/// let provider = ProfileCredentialProvider(profile: "dev", files: files, environment: environment,
///                                          context: context)
/// ```
public struct ProfileCredentialProvider: CredentialProvider, CustomStringConvertible {
    public let profile: String
    let resolved: Result<any CredentialProvider, CredentialError>

    public init(profile: String, files: SharedConfigFiles, environment: [String: String],
                context: CredentialProviderContext, explicitlySelected: Bool = false) {
        self.profile = profile
        let resolver = Resolver(files: files, environment: environment, context: context)
        resolved = resolver.provider(for: profile, explicitlySelected: explicitlySelected, chain: [])
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        try await resolved.get().credentials(logger: logger)
    }

    public var description: String {
        switch resolved {
        case .success(let provider): return "profile '\(profile)': \(provider)"
        case .failure(let error): return error.description
        }
    }

    private struct Resolver {
        let files: SharedConfigFiles
        let environment: [String: String]
        let context: CredentialProviderContext

        func provider(for name: String, explicitlySelected: Bool,
                               chain: [String]) -> Result<any CredentialProvider, CredentialError> {
            let label = "profile '\(name)'"
            guard let profile = files.profile(name) else {
                let place = files.pathsDescription.isEmpty ? "" : " in \(files.pathsDescription)"
                if chain.isEmpty && !explicitlySelected {
                    return .failure(.notConfigured(label, "not found\(place)"))
                }
                let via = chain.isEmpty ? "" : " (source_profile of '\(chain.last ?? "")')"
                return .failure(.invalid(label, "not found\(place)\(via)"))
            }
            let isSource = !chain.isEmpty
            if chain.contains(name) {
                return .failure(.invalid(label, "source_profile cycle: \((chain + [name]).joined(separator: " -> "))"))
            }
            if let roleArn = profile["role_arn"], !(isSource && hasStaticKeys(profile)) {
                return assumeRole(profile, roleArn: roleArn, label: label, chain: chain)
            }
            if hasStaticKeys(profile) || profile["aws_access_key_id"] != nil || profile["aws_secret_access_key"] != nil {
                return staticKeys(profile, label: label)
            }
            if let command = profile["credential_process"] {
                return .success(ProcessCredentialProvider(command: command, name: "\(label) credential_process"))
            }
            if profile["sso_session"] != nil || profile["sso_start_url"] != nil {
                return .failure(.invalid(label, "uses IAM Identity Center (SSO), which is not supported here; "
                    + "use credential_process = aws configure export-credentials --profile \(name) --format process"))
            }
            return .failure(.notConfigured(label, "holds no credentials"))
        }

        func hasStaticKeys(_ profile: SharedConfigFiles.Profile) -> Bool {
            profile["aws_access_key_id"] != nil && profile["aws_secret_access_key"] != nil
        }

        func staticKeys(_ profile: SharedConfigFiles.Profile, label: String) -> Result<any CredentialProvider, CredentialError> {
            guard let keyId = profile["aws_access_key_id"] else {
                return .failure(.invalid(label, "has aws_secret_access_key but no aws_access_key_id"))
            }
            guard let secret = profile["aws_secret_access_key"] else {
                return .failure(.invalid(label, "has aws_access_key_id but no aws_secret_access_key"))
            }
            return .success(StaticCredentialProvider(AWSCredentials(
                accessKeyId: keyId, secretAccessKey: secret, sessionToken: profile["aws_session_token"])))
        }

        func assumeRole(_ profile: SharedConfigFiles.Profile, roleArn: String, label: String,
                                 chain: [String]) -> Result<any CredentialProvider, CredentialError> {
            let name = profile.name
            if profile["mfa_serial"] != nil {
                return .failure(.invalid(label, "requires MFA (mfa_serial), which cannot be prompted for here"))
            }
            var duration: Int?
            if let text = profile["duration_seconds"] {
                guard let value = Int(text), (900...43_200).contains(value) else {
                    return .failure(.invalid(label, "duration_seconds must be an integer from 900 to 43200"))
                }
                duration = value
            }
            let sessionName = profile["role_session_name"]
            if let tokenFile = profile["web_identity_token_file"] {
                return .success(WebIdentityCredentialProvider(
                    roleArn: roleArn, tokenFile: SharedConfigFiles.expandHome(tokenFile, home: environment.nonEmpty("HOME")),
                    sessionName: sessionName, context: context, name: "\(label) web identity"))
            }
            let source: any CredentialProvider
            switch (profile["source_profile"], profile["credential_source"]) {
            case (_?, _?):
                return .failure(.invalid(label, "has both source_profile and credential_source"))
            case (nil, nil):
                return .failure(.invalid(label, "has role_arn but neither source_profile nor credential_source"))
            case (let sourceName?, nil):
                if sourceName == name {
                    // Self-reference: the profile's own static keys sign the AssumeRole call.
                    switch staticKeys(profile, label: label) {
                    case .success(let provider): source = provider
                    case .failure(let error): return .failure(error)
                    }
                } else {
                    switch provider(for: sourceName, explicitlySelected: true, chain: chain + [name]) {
                    case .success(let provider): source = provider
                    case .failure(let error):
                        // A source without credentials is a broken role, not "not configured".
                        return .failure(error.isNotConfigured ? .invalid(label, "source_profile '\(sourceName)' has no credentials") : error)
                    }
                }
            case (nil, let credentialSource?):
                switch credentialSource.lowercased() {
                case "environment": source = EnvironmentCredentialProvider(environment: environment)
                case "ec2instancemetadata":
                    source = InstanceMetadataCredentialProvider(environment: environment, transport: context.transport)
                case "ecscontainer":
                    source = ContainerCredentialProvider(environment: environment, transport: context.transport)
                default:
                    return .failure(.invalid(label, "credential_source must be Environment, Ec2InstanceMetadata or EcsContainer"))
                }
            }
            return .success(AssumeRoleCredentialProvider(
                roleArn: roleArn, sessionName: sessionName, durationSeconds: duration, externalId: profile["external_id"],
                source: source, context: context, name: label))
        }
    }
}
