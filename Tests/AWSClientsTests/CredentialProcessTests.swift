@testable import AWSClients
import Foundation
import Testing
import TestSupport

@Suite("credential_process")
struct CredentialProcessTests {
    @Test("a profile's credential_process runs and its Version 1 JSON becomes the credentials")
    func process() async throws {
        try await TemporaryDirectory.with { home in
            let script = try home.write("bin/get-credentials", """
                #!/bin/sh
                cat <<'JSON'
                {"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "process-secret",
                 "SessionToken": "process-token", "Expiration": "2033-05-18T03:33:20Z"}
                JSON
                """, executable: true)
            try home.writeAWSFiles(config: "[profile tool]\nregion = eu-west-1\ncredential_process = \(script) --flag\n")
            try await HTTP1Transport.withTransport { transport in
                let credentials = try await resolveCredentials(
                    environment: noInstanceMetadata.merging(["AWS_PROFILE": "tool"]) { $1 }, home: home, transport: transport)
                #expect(credentials.accessKeyId == "AKIDPROCESS")
                #expect(credentials.secretAccessKey == "process-secret")
                #expect(credentials.sessionToken == "process-token")
                #expect(credentials.expiration == fixedExpiration)
            }
        }
    }

    @Test("without Expiration or SessionToken: long-term keys")
    func longTerm() async throws {
        let provider = ProcessCredentialProvider(
            command: #"printf '{"Version":1,"AccessKeyId":"AKIDLONG","SecretAccessKey":"long-secret"}'"#)
        let credentials = try await provider.credentials(logger: testLogger)
        #expect(credentials.accessKeyId == "AKIDLONG")
        #expect(credentials.sessionToken == nil)
        #expect(credentials.expiration == nil)
    }

    @Test("a failing command reports its status, never its output")
    func failing() async throws {
        try await TemporaryDirectory.with { directory in
            let script = try directory.write("fail.sh", """
                #!/bin/sh
                echo '{"Version": 1, "AccessKeyId": "AKIDLEAK", "SecretAccessKey": "LEAKED-SECRET"}'
                echo 'LEAKED-SECRET on stderr' >&2
                exit 3
                """, executable: true)
            let error = await #expect(throws: CredentialError.self) {
                try await ProcessCredentialProvider(command: script).credentials(logger: testLogger)
            }
            #expect(error?.description == "credential_process: the command exited with status 3")
            #expect(error?.description.contains("LEAKED-SECRET") == false)
        }
    }

    @Test("output that is not a Version 1 document is refused without quoting it", arguments: [
        #"printf '{"Version":2,"AccessKeyId":"AKID","SecretAccessKey":"LEAKED-SECRET"}'"#,
        #"printf 'LEAKED-SECRET not json'"#,
        #"printf '{"Version":1,"AccessKeyId":"AKID"}'"#,
        #"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"LEAKED-SECRET","Expiration":"soon"}'"#,
    ])
    func invalidOutput(command: String) async throws {
        let error = await #expect(throws: CredentialError.self) {
            try await ProcessCredentialProvider(command: command).credentials(logger: testLogger)
        }
        #expect(error?.isNotConfigured == false)
        #expect(error?.description.contains("LEAKED-SECRET") == false)
    }

    @Test("a command that hangs is stopped after the timeout")
    func timeout() async throws {
        // Had the timeout not worked, the command would have finished (after 30 s) with no
        // output: a different error.
        // The test process may hand its children a signal mask that blocks SIGTERM: the provider
        // must still give up on time and stop the command.
        let directory = try makeTemporaryDirectory("credential-process-hang")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("pid")
        let error = await #expect(throws: CredentialError.self) {
            try await ProcessCredentialProvider(command: "echo $$ > '\(pidFile.path)'; exec sleep 30", timeout: .milliseconds(300))
                .credentials(logger: testLogger)
        }
        #expect(error?.description == "credential_process: the command did not finish within 0.3 seconds")
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<400 where !gone {  // the event (the command gone), bounded at 20 s
            gone = kill(pid, 0) != 0 || (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") == true
            if !gone { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(gone, "the command was stopped")
    }
}
