import Foundation

/// The API's OpenAPI 3.1 document, answered at `GET /openapi.json`.
///
/// `openapi.yaml` at the repository root is the one source: `scripts/generate-openapi-json.py`
/// writes its JSON form into `OpenAPIDocument+JSON.swift`, and a test fails while the two
/// differ. An embedded string, rather than a resource or a YAML parser, keeps the binary
/// self-contained and adds no dependency.
enum OpenAPIDocument {
    static let mediaType = "application/json"

    /// `200` with the document.
    static let response = APIResponse(status: 200, headers: [("Content-Type", mediaType)], body: Data(json.utf8))
}
