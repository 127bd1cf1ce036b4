import Testing
import UserVaultCLI

@Suite("Which executor a run uses")
struct ExecutorChoiceTests {
    @Test("event loops for the AWS backend only, chosen from the command line, then the environment",
          arguments: [
              (["audit", "--backend", "aws"], [:], true),
              (["--backend=aws", "export"], [:], true),
              (["audit"], ["USERVAULT_BACKEND": "aws"], true),
              (["audit", "--backend", "local"], ["USERVAULT_BACKEND": "aws"], false),
              (["audit"], [:], false),
              (["audit", "--store", "/tmp/s.sqlite"], [:], false),
              (["serve", "--backend", "aws"], [:], false),
              ([], ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"], true),
              ([], ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "USERVAULT_BACKEND": "local"], false),
              (["run", "job.json", "--", "--backend", "aws"], [:], false),
          ] as [([String], [String: String], Bool)])
    func choice(arguments: [String], environment: [String: String], loops: Bool) {
        #expect(ExecutorChoice.usesEventLoops(arguments: arguments, environment: environment) == loops)
    }
}
