@testable import AWSClients
import Foundation

/// The JSON readers of AWS answers: ``JSONReader`` and the shapes read with it (a DynamoDB Scan
/// or Query page, an item, KMS ReEncrypt), the credentials document of container endpoints,
/// instance metadata and `credential_process` (with its ISO 8601 dates), and JSON error bodies.
///
/// Input: one byte choosing the reader, then the document.
///
/// Checks: only ``JSONReader/Failure`` (or ``CredentialError``) is thrown; a page or a ReEncrypt
/// answer the fast reader accepts is accepted by the shape's `Decodable` conformance too, with
/// the same values (the reader promises to read as it does; but where an object names a member
/// twice the reader keeps the last and `JSONDecoder` the first, which AWS never sends: such
/// documents are not compared); an item read, written with
/// `JSONEncoder` and read again is the same item; a credentials error never quotes the secret key
/// or the token; an error code is normalised (no `#`, no `:`).
enum AWSJSONHarness {
    static let target = FuzzTarget("aws-json", "JSON answers of DynamoDB, KMS, credential endpoints; JSON errors", sync: check)

    static func check(_ input: [UInt8], _ workspace: FuzzWorkspace) throws {
        guard let choice = input.first else { return }
        let document = Data(input.dropFirst())
        switch choice % 5 {
        case 0: try compare(DynamoDB.ScanOutput.self, document)
        case 1: try compare(KMS.ReEncryptOutput.self, document)
        case 2: try itemRoundTrip(document)
        case 3: try credentials(document)
        default: try errorBody(document, status: 400 + Int(choice >> 3))
        }
    }

    /// The fast reader against the `Decodable` conformance, compared through their encodings.
    static func compare<Shape: JSONReadable & Codable>(_ shape: Shape.Type, _ document: Data) throws {
        let fast: Shape
        do {
            fast = try JSONReader.read(document) { try Shape(reading: &$0) }
        } catch is JSONReader.Failure {
            return
        } catch {
            throw InvariantViolation.untyped(error, expected: "JSONReader.Failure")
        }
        guard !hasDuplicateNames(document) else { return }
        let decoded: Shape
        do {
            decoded = try JSONCoding.decoder.decode(Shape.self, from: document)
        } catch {
            throw InvariantViolation("JSONReader read a \(Shape.self) that JSONDecoder refuses: \(error)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let left = try? encoder.encode(fast), let right = try? encoder.encode(decoded) else { return }
        guard left == right else {
            throw InvariantViolation("JSONReader and JSONDecoder read different \(Shape.self)s: "
                                     + "\(String(decoding: left, as: UTF8.self)) vs \(String(decoding: right, as: UTF8.self))")
        }
    }

    /// Whether an object of the (valid) document names a member twice.
    static func hasDuplicateNames(_ document: Data) -> Bool {
        var duplicate = false
        func value(_ json: inout JSONReader) throws {
            var attempt = json
            var names = Set<String>()
            if (try? attempt.object({ json, name in
                duplicate = duplicate || !names.insert(name).inserted
                try value(&json)
            })) != nil {
                json = attempt
                return
            }
            attempt = json
            if (try? attempt.array({ try value(&$0) })) != nil {
                json = attempt
                return
            }
            try json.skip()
        }
        _ = try? JSONReader.read(document) { try value(&$0) }
        return duplicate
    }

    static func itemRoundTrip(_ document: Data) throws {
        let item: DynamoDBItem
        do {
            item = try JSONReader.read(document) { try DynamoDBItem(reading: &$0) }
        } catch is JSONReader.Failure {
            return
        } catch {
            throw InvariantViolation.untyped(error, expected: "JSONReader.Failure")
        }
        let written: Data
        do {
            written = try JSONCoding.encoder.encode(item)
        } catch {
            throw InvariantViolation("an item read could not be written: \(error)")
        }
        let again: DynamoDBItem
        do {
            again = try JSONReader.read(written) { try DynamoDBItem(reading: &$0) }
        } catch {
            throw InvariantViolation("an item written could not be read again: \(error)")
        }
        guard again == item else { throw InvariantViolation("an item changed in a write and read: \(item) vs \(again)") }
    }

    static func credentials(_ document: Data) throws {
        do {
            _ = try TemporaryCredentialsDocument.credentials(from: document, provider: "fuzz", requireVersion1: document.count % 2 == 0,
                                                             requireExpiration: document.count % 3 == 0)
        } catch let error as CredentialError {
            let object = (try? JSONSerialization.jsonObject(with: document)) as? [String: Any] ?? [:]
            let shown = (object["Code"] as? String).map { String($0.prefix(64)) } ?? ""
            for field in ["SecretAccessKey", "Token", "SessionToken"] {
                guard let secret = object[field] as? String, secret.utf8.count >= 4, !shown.contains(secret) else { continue }
                if error.description.contains(secret) {
                    throw InvariantViolation("a credentials error quotes the \(field): \(error.description)")
                }
            }
        } catch {
            throw InvariantViolation.untyped(error, expected: "CredentialError")
        }
    }

    static func errorBody(_ document: Data, status: Int) throws {
        for service in [AWSService.dynamoDB, .kms] {
            let reply = HTTPReply(status: status, headers: [], body: document)
            let error = ErrorParsing.parse(reply, service: service, operation: "Fuzz")
            if let code = error.code, code.isEmpty || code.contains("#") || code.contains(":") {
                throw InvariantViolation("an error code not normalised: '\(code)'")
            }
        }
    }
}
