import Foundation

/// The shared AWS `config` and `credentials` files, read and parsed once.
///
/// ```swift
/// let files = try SharedConfigFiles.load(environment: environment)
/// let region = files.profile("dev")?["region"]
/// ```
///
/// Paths: `AWS_CONFIG_FILE` (default `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE`
/// (default `~/.aws/credentials`). A missing file is empty. A profile's properties are those of
/// `[profile name]` in `config` merged with `[name]` in `credentials`, the latter winning.
///
/// - Warning: profiles hold secret keys. ``Profile``'s description lists property names only.
public struct SharedConfigFiles: Sendable, Hashable {
    /// The config file path (whether or not it exists).
    public var configPath: String?
    /// The credentials file path (whether or not it exists).
    public var credentialsPath: String?
    /// Profiles by name.
    public var profiles: [String: Profile]
    /// `[services name]` sections of the config file: service id (`dynamodb`, `s3`, …) → settings.
    public var services: [String: [String: [String: String]]]

    static let maxFileBytes = 1 << 20

    /// One profile's settings. Keys are lowercased.
    public struct Profile: Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var properties: [String: String]
        /// Nested settings: `s3 =` followed by indented `key = value` lines.
        public var subproperties: [String: [String: String]]

        public init(name: String, properties: [String: String] = [:], subproperties: [String: [String: String]] = [:]) {
            self.name = name
            self.properties = properties
            self.subproperties = subproperties
        }

        /// The trimmed value of `key` (case-insensitive), `nil` when absent or empty.
        public subscript(key: String) -> String? {
            guard let value = properties[key.lowercased()]?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !value.isEmpty else { return nil }
            return value
        }

        /// The profile's name and its property names: never a value.
        public var description: String {
            "profile '\(name)' (\(properties.keys.sorted().joined(separator: ", ")))"
        }
    }

    public init(configPath: String? = nil, credentialsPath: String? = nil, profiles: [String: Profile] = [:],
                services: [String: [String: [String: String]]] = [:]) {
        self.configPath = configPath
        self.credentialsPath = credentialsPath
        self.profiles = profiles
        self.services = services
    }

    /// The profile named `name`, or `nil`.
    public func profile(_ name: String) -> Profile? {
        profiles[name]
    }

    /// `"<config path> or <credentials path>"`, for messages.
    var pathsDescription: String {
        [configPath, credentialsPath].compactMap { $0 }.joined(separator: " or ")
    }

    /// Reads the files named by `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, or
    /// `~/.aws/config` / `~/.aws/credentials` under `homeDirectory` (default: `HOME` in
    /// `environment`). A leading `~/` in a path is the home directory.
    ///
    /// - Throws: ``AWSConfigurationError`` when a file exists but cannot be read or parsed.
    public static func load(environment: [String: String], homeDirectory: String? = nil) throws -> SharedConfigFiles {
        let home = homeDirectory ?? environment.nonEmpty("HOME")
        func path(_ variable: String, _ fallback: String) -> String? {
            if let value = environment.nonEmpty(variable) { return expandHome(value, home: home) }
            return home.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + fallback }
        }
        let configPath = path("AWS_CONFIG_FILE", ".aws/config")
        let credentialsPath = path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
        return try parse(config: read(configPath), credentials: read(credentialsPath),
                         configPath: configPath, credentialsPath: credentialsPath)
    }

    /// Parses file contents (either may be `nil`: no such file).
    public static func parse(config: String?, credentials: String?, configPath: String? = nil,
                             credentialsPath: String? = nil) throws -> SharedConfigFiles {
        func parsed(_ text: String?, _ kind: ProfileFileParser.Kind, _ path: String?) throws -> ProfileFileParser.Parsed {
            guard let text else { return ProfileFileParser.Parsed() }
            do {
                return try ProfileFileParser.parse(text, kind: kind)
            } catch let error as ProfileFileParser.ParseError {
                let file = path ?? (kind == .config ? "the config file" : "the credentials file")
                throw AWSConfigurationError("\(file) line \(error.line): \(error.reason)")
            }
        }
        let config = try parsed(config, .config, configPath)
        let credentials = try parsed(credentials, .credentials, credentialsPath)
        var profiles: [String: Profile] = [:]
        for (name, section) in config.profiles {
            profiles[name] = Profile(name: name, properties: section.properties, subproperties: section.subproperties)
        }
        for (name, section) in credentials.profiles {
            var profile = profiles[name] ?? Profile(name: name)
            profile.properties.merge(section.properties) { $1 }
            profile.subproperties.merge(section.subproperties) { $1 }
            profiles[name] = profile
        }
        return SharedConfigFiles(configPath: configPath, credentialsPath: credentialsPath, profiles: profiles,
                                 services: config.services.mapValues(\.subproperties))
    }

    static func expandHome(_ path: String, home: String?) -> String {
        guard let home, path == "~" || path.hasPrefix("~/") else { return path }
        return home + path.dropFirst()
    }

    private static func read(_ path: String?) throws -> String? {
        guard let path else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue else { throw AWSConfigurationError("\(path) is a directory, not a file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AWSConfigurationError("cannot read \(path)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            throw AWSConfigurationError("cannot read \(path)")
        }
        guard data.count <= maxFileBytes else { throw AWSConfigurationError("\(path) is larger than 1 MiB") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw AWSConfigurationError("\(path) is not UTF-8 text")
        }
        return text
    }
}
