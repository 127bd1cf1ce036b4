import Foundation

extension AWSService {
    /// AWS Security Hub (`AWS_ENDPOINT_URL_SECURITYHUB`).
    public static let securityHub = AWSService(
        name: "securityhub", signingName: "securityhub", environmentSuffix: "SECURITYHUB", errorFormat: .json, isS3: false)
}

/// AWS Security Hub over its REST-JSON protocol: findings in the AWS Security Finding Format
/// (ASFF), imported and read back.
///
/// The client is generic over the finding's Swift shape (`Finding`): it moves findings, and
/// leaves what they say to the caller.
///
/// ```swift
/// let hub = SecurityHubClient(factory.client(for: .securityHub))
/// let answer = try await hub.batchImportFindings(findings)          // at most 100
/// for try await page in hub.findingsPages(filters: filters, as: MyFinding.self) { ... }
/// ```
public struct SecurityHubClient: Sendable {
    public let client: AWSServiceClient
    /// BatchImportFindings takes at most this many findings per request.
    public static let maxImportBatch = 100

    public init(_ client: AWSServiceClient) {
        self.client = client
    }

    /// [BatchImportFindings](https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html):
    /// creates the findings whose `Id` (per product) is new, updates the others.
    ///
    /// - Warning: a 200 answer may still refuse some findings: see ``SecurityHub/ImportOutput/FailedFindings``.
    public func batchImportFindings<Finding: Encodable & Sendable>(_ findings: [Finding]) async throws -> SecurityHub.ImportOutput {
        try await client.restJSONCall("BatchImportFindings", path: "/findings/import",
                                      input: SecurityHub.ImportInput(Findings: findings))
    }

    /// [BatchUpdateFindings](https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html):
    /// `PATCH /findings/batchupdate`, the workflow status and a note of findings Security Hub
    /// already holds (at most 100; it cannot create one). The customer's side of a finding: an
    /// import cannot change these once the finding exists.
    ///
    /// - Warning: a 200 answer may still leave some unchanged: see ``SecurityHub/UpdateOutput/UnprocessedFindings``.
    public func batchUpdateFindings(_ input: SecurityHub.UpdateInput) async throws -> SecurityHub.UpdateOutput {
        try await client.restJSONCall("BatchUpdateFindings", method: "PATCH", path: "/findings/batchupdate", input: input)
    }

    /// [GetFindings](https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_GetFindings.html),
    /// every page (`pageSize` findings at most, 100 the API's maximum).
    public func findingsPages<Finding: Decodable & Sendable>(
        filters: SecurityHub.Filters, pageSize: Int = 100, as finding: Finding.Type = Finding.self
    ) -> Pages<[Finding], String> {
        Pages(first: nil) { token in
            let output: SecurityHub.FindingsOutput<Finding> = try await client.restJSONCall(
                "GetFindings", path: "/findings",
                input: SecurityHub.FindingsInput(Filters: filters, NextToken: token, MaxResults: pageSize))
            return (output.Findings ?? [], output.NextToken.flatMap { $0.isEmpty ? nil : $0 })
        }
    }
}

/// Request and response shapes, named as the API names them.
public enum SecurityHub {
    public struct ImportInput<Finding: Encodable & Sendable>: Encodable, Sendable {
        public var Findings: [Finding]
    }

    public struct ImportOutput: Decodable, Sendable {
        public var FailedCount: Int?
        public var SuccessCount: Int?
        /// The findings Security Hub refused, each with why; `[]` when all were taken.
        public var FailedFindings: [FailedFinding]?
    }

    public struct FailedFinding: Decodable, Sendable, Hashable {
        public var Id: String
        public var ErrorCode: String?
        public var ErrorMessage: String?
    }

    /// A finding by its `Id` and `ProductArn` (`AwsSecurityFindingIdentifier`).
    public struct FindingIdentifier: Codable, Sendable, Hashable {
        public var Id: String
        public var ProductArn: String

        public init(Id: String, ProductArn: String) {
            self.Id = Id
            self.ProductArn = ProductArn
        }
    }

    /// `WorkflowUpdate`: `NEW`, `NOTIFIED`, `RESOLVED` or `SUPPRESSED`.
    public struct WorkflowUpdate: Codable, Sendable, Hashable {
        public var Status: String

        public init(Status: String) {
            self.Status = Status
        }
    }

    /// `NoteUpdate`: the text (at most 512 characters) and who wrote it.
    public struct NoteUpdate: Codable, Sendable, Hashable {
        public var Text: String
        public var UpdatedBy: String

        public init(Text: String, UpdatedBy: String) {
            self.Text = Text
            self.UpdatedBy = UpdatedBy
        }
    }

    /// The `BatchUpdateFindings` fields this project sets: one workflow status and one note for every finding named.
    public struct UpdateInput: Codable, Sendable, Hashable {
        public var FindingIdentifiers: [FindingIdentifier]
        public var Workflow: WorkflowUpdate?
        public var Note: NoteUpdate?

        public init(FindingIdentifiers: [FindingIdentifier], Workflow: WorkflowUpdate? = nil, Note: NoteUpdate? = nil) {
            self.FindingIdentifiers = FindingIdentifiers
            self.Workflow = Workflow
            self.Note = Note
        }
    }

    public struct UnprocessedFinding: Decodable, Sendable, Hashable {
        public var FindingIdentifier: FindingIdentifier
        public var ErrorCode: String?
        public var ErrorMessage: String?
    }

    public struct UpdateOutput: Decodable, Sendable {
        public var ProcessedFindings: [FindingIdentifier]?
        /// The findings left unchanged, each with why; `[]` when all were.
        public var UnprocessedFindings: [UnprocessedFinding]?
    }

    /// A `StringFilter`: `Comparison` is `EQUALS`, `PREFIX`, `NOT_EQUALS`, `PREFIX_NOT_EQUALS`, `CONTAINS`, ….
    public struct StringFilter: Codable, Sendable, Hashable {
        public var Value: String
        public var Comparison: String

        public init(_ comparison: String, _ value: String) {
            Value = value
            Comparison = comparison
        }
    }

    /// The `AwsSecurityFindingFilters` this project uses.
    public struct Filters: Codable, Sendable, Hashable {
        public var ProductArn: [StringFilter]?
        public var Id: [StringFilter]?
        public var RecordState: [StringFilter]?
        public var ResourceId: [StringFilter]?

        public init(ProductArn: [StringFilter]? = nil, Id: [StringFilter]? = nil, RecordState: [StringFilter]? = nil,
                    ResourceId: [StringFilter]? = nil) {
            self.ProductArn = ProductArn
            self.Id = Id
            self.RecordState = RecordState
            self.ResourceId = ResourceId
        }
    }

    struct FindingsInput: Encodable, Sendable {
        var Filters: Filters
        var NextToken: String?
        var MaxResults: Int
    }

    struct FindingsOutput<Finding: Decodable & Sendable>: Decodable, Sendable {
        var Findings: [Finding]?
        var NextToken: String?
    }
}
