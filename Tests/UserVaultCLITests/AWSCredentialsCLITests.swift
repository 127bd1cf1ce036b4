import Foundation
import Testing
import TestSupport

@Suite("uservault --backend aws: credentials and signatures, end to end")
struct AWSCredentialsCLITests {
    static let rightSecret = "profile-secret-0123456789abcdefghij"

    /// Shared config files in a temporary directory with one named profile, and no credential
    /// environment variables at all.
    static func profileEnvironment(_ directory: URL, secret: String, endpoint: String) throws -> [String: String] {
        let config = directory.appendingPathComponent("config")
        let credentials = directory.appendingPathComponent("credentials")
        try "[profile auditor]\nregion = eu-west-1\n".write(to: config, atomically: true, encoding: .utf8)
        try "[auditor]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = \(secret)\n"
            .write(to: credentials, atomically: true, encoding: .utf8)
        return [
            "USERVAULT_BACKEND": "aws", "AWS_CONFIG_FILE": config.path, "AWS_SHARED_CREDENTIALS_FILE": credentials.path,
            "AWS_ENDPOINT_URL": endpoint, "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "2",
        ]
    }

    @Test("credentials from a named profile in shared files sign correctly")
    func namedProfile() async throws {
        try await SignatureCheckingServer.withServer(secret: Self.rightSecret) { server in
            let directory = try makeTemporaryDirectory("uservault-profile")
            defer { try? FileManager.default.removeItem(at: directory) }
            let environment = try Self.profileEnvironment(directory, secret: Self.rightSecret,
                                                          endpoint: server.endpoint.absoluteString)
            let result = try await runUserVault(["--profile", "auditor", "init"], environment: environment, in: directory)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout.contains("eu-west-1"), "the profile's region is used")
        }
    }

    @Test("a wrong secret is exit 2 and one line naming the signature problem, without the secret")
    func wrongSecret() async throws {
        try await SignatureCheckingServer.withServer(secret: Self.rightSecret) { server in
            let directory = try makeTemporaryDirectory("uservault-badsecret")
            defer { try? FileManager.default.removeItem(at: directory) }
            let wrong = "wrong-secret-zyxwvutsrqponmlkjihgf"
            let environment = try Self.profileEnvironment(directory, secret: wrong, endpoint: server.endpoint.absoluteString)
            let result = try await runUserVault(["--profile", "auditor", "init"], environment: environment, in: directory)
            #expect(result.exitCode == 2)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line: \(result.stderr)")
            #expect(result.stderr.contains("InvalidSignatureException"))
            #expect(result.stderr.contains("signature"))
            #expect(!result.stderr.contains(wrong) && !result.stdout.contains(wrong))
        }
    }

    @Test("no region, or an unknown profile, is exit 2 with one clear line")
    func configurationErrors() async throws {
        let noRegion = try await runUserVault(["--backend", "aws", "init"], environment: [
            "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_CONFIG_FILE": "/nonexistent/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        ])
        #expect(noRegion.exitCode == 2)
        #expect(noRegion.stderr.contains("no region"))
        let noProfile = try await runUserVault(["--backend", "aws", "--profile", "ghost", "init"], environment: [
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
        ])
        #expect(noProfile.exitCode == 2)
        #expect(noProfile.stderr.contains("profile 'ghost'"))
        #expect(noProfile.stderr.split(separator: "\n").count == 1)
    }

    @Test("an unreachable endpoint is exit 2 and one line: connection refused, after the configured attempts")
    func unreachable() async throws {
        let port = try freeLoopbackPort()
        let result = try await runUserVault(["--backend", "aws", "init"], environment: [
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)", "AWS_MAX_ATTEMPTS": "2", "AWS_EC2_METADATA_DISABLED": "true",
        ])
        #expect(result.exitCode == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        // Each refused attempt fails at once (no waiting out the connect timeout) and is counted.
        #expect(result.stderr.contains("failed: connection refused by 127.0.0.1:\(port) after 2 attempts"), "\(result.stderr)")
    }
}
