import Foundation
import Testing
import UserVaultCore

@Suite("Create-user request bodies")
struct CreateUserRequestTests {
    func parse(_ json: String) -> Result<(input: NewUserInput, pointerPrefix: String), CreateUserRequest.Problem> {
        CreateUserRequest.parse(Data(json.utf8))
    }

    @Test("a JSON:API resource document")
    func jsonAPI() throws {
        let parsed = try parse(#"{"data":{"type":"users","attributes":{"firstname":"Ada","lastname":"L","email":"a@b.io","username":"ada","credentials":"pw12345678"}}}"#).get()
        #expect(parsed.pointerPrefix == "/data/attributes")
        #expect(parsed.input.email == "a@b.io")
        #expect(parsed.input.credentials == "pw12345678")
    }

    @Test("the original service's flat body")
    func flat() throws {
        let parsed = try parse(#"{"firstname":"Ada","lastname":"L","email":"a@b.io","username":"ada","credentials":"pw12345678"}"#).get()
        #expect(parsed.pointerPrefix == "")
        #expect(parsed.input.username == "ada")
    }

    @Test("problems map to kinds and pointers", arguments: [
        (#"{"data":"#, CreateUserRequest.Problem.Kind.malformed, nil as String?),
        (#"[1,2]"#, .invalidDocument, ""),
        (#"{"data":[]}"#, .invalidDocument, "/data"),
        (#"{"data":{"attributes":{}}}"#, .invalidDocument, "/data/type"),
        (#"{"data":{"type":"people","attributes":{}}}"#, .typeConflict, "/data/type"),
        (#"{"data":{"type":"users","id":"x","attributes":{}}}"#, .clientGeneratedId, "/data/id"),
        (#"{"data":{"type":"users","attributes":{"email":5}}}"#, .invalidAttribute(code: "INVALID_TYPE"), "/data/attributes/email"),
        (#"{"data":{"type":"users","attributes":{"credentialsKeyId":"k"}}}"#, .invalidAttribute(code: "UNKNOWN_ATTRIBUTE"), "/data/attributes/credentialsKeyId"),
        (#"{"email":true}"#, .invalidAttribute(code: "INVALID_TYPE"), "/email"),
    ])
    func problems(_ json: String, _ kind: CreateUserRequest.Problem.Kind, _ pointer: String?) {
        guard case .failure(let problem) = parse(json) else {
            Issue.record("expected a problem for \(json)")
            return
        }
        #expect(problem.kind == kind)
        #expect(problem.pointer == pointer)
    }
}
