import Foundation

extension AWSService {
    /// The Resource Groups Tagging API (`AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API`).
    public static let tagging = AWSService(
        name: "tagging", signingName: "tagging", environmentSuffix: "RESOURCE_GROUPS_TAGGING_API",
        errorFormat: .json, isS3: false)
}

/// The Resource Groups Tagging API over its JSON 1.1 protocol: which resources carry a tag,
/// across a whole account and region, a page of up to 100 at a time.
///
/// ```swift
/// let tagging = ResourceGroupsTaggingClient(factory.client(for: .tagging))
/// for try await page in tagging.resourcesPages(type: "kms:key", tagKey: "Team") {
///     for resource in page.ResourceTagMappingList ?? [] { print(resource.ResourceARN) }
/// }
/// ```
public struct ResourceGroupsTaggingClient: Sendable {
    public let client: AWSServiceClient

    public init(_ client: AWSServiceClient) {
        self.client = client
    }

    /// The most values one tag filter of GetResources takes.
    public static let maxFilterValues = 20

    /// [GetResources](https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html)
    /// of one resource type carrying `tagKey` (any value, or one of `values`: at most
    /// ``maxFilterValues``), every page.
    public func resourcesPages(type: String, tagKey: String, values: [String]? = nil,
                               pageSize: Int = 50) -> Pages<Tagging.GetResourcesOutput, String> {
        precondition((values?.count ?? 0) <= Self.maxFilterValues, "a tag filter takes at most \(Self.maxFilterValues) values")
        return Pages(first: nil) { token in
            let input = Tagging.GetResourcesInput(
                PaginationToken: token, ResourceTypeFilters: [type], ResourcesPerPage: pageSize,
                TagFilters: [.init(Key: tagKey, Values: values)])
            let output: Tagging.GetResourcesOutput = try await client.jsonCall(
                "GetResources", targetPrefix: "ResourceGroupsTaggingAPI_20170126",
                contentType: "application/x-amz-json-1.1", input: input)
            // The last page carries an empty token.
            return (output, output.PaginationToken.flatMap { $0.isEmpty ? nil : $0 })
        }
    }
}

/// Request and response shapes, named as the API names them.
public enum Tagging {
    public struct TagFilter: Sendable, Codable {
        public var Key: String
        public var Values: [String]?
    }

    public struct GetResourcesInput: Sendable, Codable {
        public var PaginationToken: String?
        public var ResourceTypeFilters: [String]
        public var ResourcesPerPage: Int
        public var TagFilters: [TagFilter]
    }

    public struct Tag: Sendable, Codable, Hashable {
        public var Key: String
        public var Value: String
    }

    public struct ResourceTagMapping: Sendable, Codable {
        public var ResourceARN: String
        public var Tags: [Tag]?
    }

    public struct GetResourcesOutput: Sendable, Codable {
        public var PaginationToken: String?
        public var ResourceTagMappingList: [ResourceTagMapping]?
    }
}
