import AWSSigning
import Foundation

/// One case of the aws-c-auth SigV4 test suite, read unchanged from
/// `Tests/Conformance/sigv4/v4/<name>/` (vendored in the repository; see its `SOURCE.md`).
struct SigV4Vector {
    /// The corpus folder, found from this file's location so that any clone works.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/AWSSigningTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Conformance/sigv4/v4", isDirectory: true)

    /// The case folders present at run time (those holding a `request.txt`), sorted.
    static let names: [String] = {
        let fileManager = FileManager.default
        let entries = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
        return entries
            .filter { name in
                let request = directory.appendingPathComponent(name).appendingPathComponent("request.txt")
                return fileManager.fileExists(atPath: request.path)
            }
            .sorted()
    }()

    /// `context.json`.
    struct Context: Decodable {
        struct Credentials: Decodable {
            var accessKeyId: String
            var secretAccessKey: String
            var token: String?
        }

        var credentials: Credentials
        var expirationInSeconds: Int
        var normalize: Bool
        var region: String
        var service: String
        var signBody: Bool
        var timestamp: String
        var omitSessionToken: Bool?
    }

    let name: String
    let folder: URL
    let context: Context
    let request: RawHTTPRequest
    /// The request URL: `https://<Host header><target>`, the target percent-encoded where a URL
    /// requires it (raw spaces and UTF-8).
    let url: URL
    let date: Date
    let options: SigV4Signer.Options

    init(named name: String) throws {
        self.name = name
        folder = Self.directory.appendingPathComponent(name, isDirectory: true)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        context = try decoder.decode(Context.self, from: Data(contentsOf: folder.appendingPathComponent("context.json")))
        request = try RawHTTPRequest(Data(contentsOf: folder.appendingPathComponent("request.txt")))
        date = try Date(context.timestamp, strategy: .iso8601)

        guard let host = request.header("host") else {
            throw RawHTTPRequest.FormatError(description: "\(name): no Host header")
        }
        guard let url = URL(string: "https://\(host)\(request.target)") else {
            throw RawHTTPRequest.FormatError(description: "\(name): the target does not make a URL")
        }
        self.url = url

        // aws-c-auth takes the request line's path as the wire path and encodes it once more
        // (double encoding). A URL cannot hold a raw space or raw UTF-8, so for such a path
        // (get-space-*, get-utf8) the URL above already performed that encoding: the signer
        // must not add another. Every other path is used exactly as written, with the
        // signer's default (double) encoding.
        let path = request.pathAndQuery.path
        let pathIsValidURL = URL(string: "https://\(host)\(path)", encodingInvalidCharacters: false) != nil
        options = SigV4Signer.Options(
            normalizePath: context.normalize,
            doubleEncodePath: pathIsValidURL,
            signedBodyHeader: context.signBody,
            omitSessionToken: context.omitSessionToken ?? false
        )
    }

    var signer: SigV4Signer {
        SigV4Signer(
            credentials: AWSCredentials(
                accessKeyId: context.credentials.accessKeyId,
                secretAccessKey: context.credentials.secretAccessKey,
                sessionToken: context.credentials.token
            ),
            region: context.region,
            service: context.service
        )
    }

    /// The content of one of the expected files (`header-signature.txt`, ...), unchanged.
    func expected(_ file: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
    }
}
