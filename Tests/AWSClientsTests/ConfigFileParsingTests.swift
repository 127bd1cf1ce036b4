@testable import AWSClients
import Foundation
import Testing

@Suite("Shared config and credentials files")
struct ConfigFileParsingTests {
    @Test("profiles, default, comments, whitespace and key case")
    func basics() throws {
        let config = """
            # a comment
            ; another comment
            [default]
            region = eu-west-1
            Output=json

              [profile dev]   # trailing comment on a section line
            REGION   =   us-west-2   ; inline comment
            role_arn = arn:aws:iam::123456789012:role/dev#not-a-comment

            [dev-unprefixed]
            region = ap-south-1
            [sso-session corp]
            sso_region = us-east-1
            """
        let files = try SharedConfigFiles.parse(config: config, credentials: nil)
        #expect(files.profile("default")?["region"] == "eu-west-1")
        #expect(files.profile("default")?["output"] == "json")
        #expect(files.profile("default")?["OUTPUT"] == "json")
        #expect(files.profile("dev")?["region"] == "us-west-2")
        #expect(files.profile("dev")?["role_arn"] == "arn:aws:iam::123456789012:role/dev#not-a-comment")
        // In the config file a profile needs the `profile ` prefix; other sections are not profiles.
        #expect(files.profile("dev-unprefixed") == nil)
        #expect(files.profile("corp") == nil)
        #expect(files.profile("sso-session corp") == nil)
        #expect(Set(files.profiles.keys) == ["default", "dev"])
    }

    @Test("credentials file: [name] without prefix, merged over config")
    func credentialsFile() throws {
        let config = """
            [profile dev]
            region = us-west-2
            aws_access_key_id = FROMCONFIG
            """
        let credentials = """
            [dev]
            aws_access_key_id = AKIDDEV
            aws_secret_access_key = dev-secret
            [profile odd]
            aws_access_key_id = X
            """
        let files = try SharedConfigFiles.parse(config: config, credentials: credentials)
        let dev = try #require(files.profile("dev"))
        #expect(dev["region"] == "us-west-2")
        #expect(dev["aws_access_key_id"] == "AKIDDEV")
        #expect(dev["aws_secret_access_key"] == "dev-secret")
        // In the credentials file the whole bracket content is the name.
        #expect(files.profile("profile odd")?["aws_access_key_id"] == "X")
        #expect(files.profile("odd") == nil)
    }

    @Test("[profile default] wins over [default] in the config file")
    func prefixedDefault() throws {
        let files = try SharedConfigFiles.parse(config: """
            [profile default]
            region = eu-central-1
            [default]
            region = us-east-2
            """, credentials: nil)
        #expect(files.profile("default")?["region"] == "eu-central-1")
    }

    @Test("repeated sections merge, later values win")
    func repeatedSections() throws {
        let files = try SharedConfigFiles.parse(config: """
            [profile a]
            region = us-east-1
            output = text
            [profile a]
            region = us-east-2
            """, credentials: nil)
        #expect(files.profile("a")?["region"] == "us-east-2")
        #expect(files.profile("a")?["output"] == "text")
    }

    @Test("sub-properties, continuation lines and services sections")
    func nested() throws {
        let files = try SharedConfigFiles.parse(config: """
            [profile dev]
            s3 =
              addressing_style = path
              max_concurrent_requests = 20
            services = local
            description = first line
              second line

            [services local]
            dynamodb =
              endpoint_url = http://127.0.0.1:8000
            """, credentials: nil)
        let dev = try #require(files.profile("dev"))
        #expect(dev.subproperties["s3"] == ["addressing_style": "path", "max_concurrent_requests": "20"])
        #expect(dev["s3"] == nil)
        #expect(dev["services"] == "local")
        #expect(dev["description"] == "first line\nsecond line")
        #expect(files.services["local"]?["dynamodb"]?["endpoint_url"] == "http://127.0.0.1:8000")
    }

    @Test("CRLF line endings")
    func crlf() throws {
        let files = try SharedConfigFiles.parse(config: nil, credentials: "[default]\r\naws_access_key_id = AKID\r\naws_secret_access_key = s\r\n")
        #expect(files.profile("default")?["aws_access_key_id"] == "AKID")
        #expect(files.profile("default")?["aws_secret_access_key"] == "s")
    }

    @Test("malformed lines are errors naming the file and line, never the line's content",
          arguments: [
              ("aws_secret_access_key = SECRETVALUE-1\n[default]\n", 1),
              ("[default]\nSECRETVALUE-1 no equals sign\n", 2),
              ("[default\naws_secret_access_key = SECRETVALUE-1\n", 1),
          ])
    func malformed(text: String, line: Int) throws {
        let error = #expect(throws: AWSConfigurationError.self) {
            try SharedConfigFiles.parse(config: nil, credentials: text, credentialsPath: "/home/u/.aws/credentials")
        }
        #expect(error?.description.hasPrefix("/home/u/.aws/credentials line \(line):") == true)
        #expect(error?.description.contains("SECRETVALUE") == false)
    }

    @Test("files are found under the home directory or where the variables point")
    func paths() async throws {
        try await TemporaryDirectory.with { home in
            try home.writeAWSFiles(config: "[profile a]\nregion = eu-west-3\n", credentials: "[a]\naws_access_key_id = K\n")
            let byHome = try SharedConfigFiles.load(environment: ["HOME": home.path])
            #expect(byHome.profile("a")?["region"] == "eu-west-3")
            #expect(byHome.profile("a")?["aws_access_key_id"] == "K")
            #expect(byHome.configPath == home.path + "/.aws/config")

            let other = try home.write("elsewhere/cfg", "[profile b]\nregion = sa-east-1\n")
            let byVariable = try SharedConfigFiles.load(environment: [
                "HOME": home.path, "AWS_CONFIG_FILE": "~/elsewhere/cfg", "AWS_SHARED_CREDENTIALS_FILE": home.path + "/missing",
            ])
            #expect(byVariable.configPath == other)
            #expect(byVariable.profile("b")?["region"] == "sa-east-1")
            #expect(byVariable.profile("a") == nil)

            let none = try SharedConfigFiles.load(environment: [:])
            #expect(none.profiles.isEmpty)
        }
    }
}
