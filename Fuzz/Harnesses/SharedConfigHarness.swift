@testable import AWSClients
import Foundation

/// The shared `config` and `credentials` files (``ProfileFileParser``, ``SharedConfigFiles``):
/// text a person or a tool wrote, holding secret keys.
///
/// Input: the config file's text, then (after the first NUL byte, if any) the credentials
/// file's; bytes that are not UTF-8 are refused before parsing, as ``SharedConfigFiles`` does.
///
/// Checks: only ``AWSConfigurationError`` is thrown and its description quotes no input (it may
/// be a secret); a profile's description holds no value; keys are lowercased.
enum SharedConfigHarness {
    static let target = FuzzTarget("shared-config", "shared config and credentials files", sync: check)

    static func check(_ input: [UInt8], _ workspace: FuzzWorkspace) throws {
        let split = input.firstIndex(of: 0) ?? input.endIndex
        guard let config = String(validating: input[..<split], as: UTF8.self) else { return }
        var credentials: String?
        if split < input.endIndex {
            guard let text = String(validating: input[(split + 1)...], as: UTF8.self) else { return }
            credentials = text
        }
        let files: SharedConfigFiles
        do {
            files = try SharedConfigFiles.parse(config: config, credentials: credentials, configPath: "config",
                                                credentialsPath: "credentials")
        } catch let error as AWSConfigurationError {
            return try InvariantViolation.checkNoEcho(error.description, of: input, window: 12, what: "the error")
        } catch {
            throw InvariantViolation.untyped(error, expected: "AWSConfigurationError")
        }
        for profile in files.profiles.values {
            for (key, value) in profile.properties {
                guard key == key.lowercased() else { throw InvariantViolation("a key not lowercased: \(key)") }
                if value.utf8.count >= 8, profile.description.contains(value), !profile.properties.keys.contains(where: { $0.contains(value) }),
                   !profile.name.contains(value) {
                    throw InvariantViolation("a profile's description shows a value: \(profile.description)")
                }
            }
        }
    }
}
