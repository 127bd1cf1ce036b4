import AWSSigning
import Foundation

extension AWSConfiguration {
    /// Resolves the configuration as the AWS SDKs do, from flags, an environment read once at
    /// the edge of the program, and the shared `config`/`credentials` files.
    ///
    /// - region: `--region` → `AWS_REGION` → `AWS_DEFAULT_REGION` → the profile's `region`.
    /// - endpoints: `--endpoint-url` → `AWS_ENDPOINT_URL_<DYNAMODB|KMS|S3|STS>` →
    ///   `AWS_ENDPOINT_URL` → the profile's `services` section → its `endpoint_url` → public
    ///   (`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` keeps only the flag).
    /// - retry: `AWS_RETRY_MODE` / `AWS_MAX_ATTEMPTS`, else the profile's `retry_mode` / `max_attempts`.
    /// - CA bundle: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`.
    /// - credentials: ``CredentialProviders/defaultChain(environment:files:profile:explicit:)``.
    ///
    /// ```swift
    /// let configuration = try AWSConfiguration.resolve(flags: AWSFlags(region: "eu-west-1"),
    ///                                                  environment: ProcessInfo.processInfo.environment)
    /// ```
    ///
    /// - Parameter homeDirectory: where `~/.aws` is; `HOME` from `environment` by default.
    /// - Throws: ``AWSConfigurationError`` with one clear line, e.g.
    ///   `no region: set --region or AWS_REGION`.
    public static func resolve(flags: AWSFlags = AWSFlags(), environment: [String: String],
                               homeDirectory: String? = nil) throws -> AWSConfiguration {
        let files = try SharedConfigFiles.load(environment: environment, homeDirectory: homeDirectory)
        return try resolve(flags: flags, environment: environment, files: files)
    }

    /// ``resolve(flags:environment:homeDirectory:)`` with files already loaded.
    public static func resolve(flags: AWSFlags, environment: [String: String],
                               files: SharedConfigFiles) throws -> AWSConfiguration {
        let flagProfile = flags.profile.flatMap { $0.isEmpty ? nil : $0 }
        let profileName = flagProfile ?? environment.nonEmpty("AWS_PROFILE") ?? "default"
        let profile = files.profile(profileName)
        if profile == nil, flagProfile != nil || environment.nonEmpty("AWS_PROFILE") != nil {
            let source = flagProfile != nil ? "--profile" : "AWS_PROFILE"
            let place = files.pathsDescription.isEmpty ? "" : " in \(files.pathsDescription)"
            throw AWSConfigurationError("profile '\(profileName)' (from \(source)) not found\(place)")
        }

        guard let region = flags.region.flatMap({ $0.isEmpty ? nil : $0 }) ?? environment.nonEmpty("AWS_REGION")
            ?? environment.nonEmpty("AWS_DEFAULT_REGION") ?? profile?["region"] else {
            throw AWSConfigurationError("no region: set --region or AWS_REGION")
        }
        guard isValidRegion(region) else {
            throw AWSConfigurationError("region '\(region.prefix(64))' is not valid (expected e.g. eu-west-1)")
        }

        let endpoints = try resolveEndpoints(flags: flags, environment: environment, profile: profile, files: files)
        let retry = try RetryStrategy.from(mode: environment.nonEmpty("AWS_RETRY_MODE") ?? profile?["retry_mode"],
                                           maxAttempts: environment.nonEmpty("AWS_MAX_ATTEMPTS") ?? profile?["max_attempts"])

        var explicit: AWSCredentials?
        switch (flags.accessKeyId.flatMap { $0.isEmpty ? nil : $0 }, flags.secretAccessKey.flatMap { $0.isEmpty ? nil : $0 }) {
        case let (keyId?, secret?):
            explicit = AWSCredentials(accessKeyId: keyId, secretAccessKey: secret,
                                      sessionToken: flags.sessionToken.flatMap { $0.isEmpty ? nil : $0 })
        case (nil, nil):
            explicit = nil
        default:
            throw AWSConfigurationError("explicit credentials need both an access key id and a secret access key")
        }

        return AWSConfiguration(
            region: region, profile: profileName, endpoints: endpoints, retry: retry,
            credentials: .defaultChain(environment: environment, files: files, profile: flagProfile, explicit: explicit),
            caBundle: environment.nonEmpty("AWS_CA_BUNDLE") ?? profile?["ca_bundle"])
    }

    static func isValidRegion(_ region: String) -> Bool {
        region.count <= 64 && region.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "-")
        } && !region.hasPrefix("-") && !region.hasSuffix("-")
    }

    private static func resolveEndpoints(flags: AWSFlags, environment: [String: String],
                                         profile: SharedConfigFiles.Profile?,
                                         files: SharedConfigFiles) throws -> AWSEndpoints {
        var endpoints = AWSEndpoints()
        if let text = flags.endpointURL.flatMap({ $0.isEmpty ? nil : $0 }) {
            endpoints.override = try endpointURL(text, source: "--endpoint-url")
        }
        let ignore = (environment.nonEmpty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            ?? profile?["ignore_configured_endpoint_urls"])?.lowercased() == "true"
        guard !ignore else { return endpoints }

        let prefix = "AWS_ENDPOINT_URL_"
        for (name, value) in environment where name.hasPrefix(prefix) && !value.isEmpty {
            endpoints.environmentServices[String(name.dropFirst(prefix.count))] = try endpointURL(value, source: name)
        }
        if let text = environment.nonEmpty("AWS_ENDPOINT_URL") {
            endpoints.environment = try endpointURL(text, source: "AWS_ENDPOINT_URL")
        }
        if let profile {
            if let text = profile["endpoint_url"] {
                endpoints.profile = try endpointURL(text, source: "profile '\(profile.name)' endpoint_url")
            }
            if let sectionName = profile["services"] {
                for (service, settings) in files.services[sectionName] ?? [:] {
                    guard let text = settings["endpoint_url"], !text.isEmpty else { continue }
                    let suffix = service.uppercased().replacingOccurrences(of: " ", with: "_")
                        .replacingOccurrences(of: "-", with: "_")
                    endpoints.profileServices[suffix] = try endpointURL(
                        text, source: "services '\(sectionName)' \(service) endpoint_url")
                }
            }
        }
        return endpoints
    }

    private static func endpointURL(_ text: String, source: String) throws -> URL {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw AWSConfigurationError("\(source) is not an http(s) URL: \(trimmed.prefix(200))")
        }
        return url
    }
}
