import Foundation

/// A service this project speaks to, with what signing and endpoint resolution need.
public struct AWSService: Sendable, Hashable {
    /// Short name used in errors and logs, e.g. `dynamodb`.
    public var name: String
    /// The SigV4 signing name.
    public var signingName: String
    /// The suffix of `AWS_ENDPOINT_URL_<SUFFIX>`.
    public var environmentSuffix: String
    /// How the service reports errors.
    public var errorFormat: ErrorFormat
    /// S3 paths are signed as given (no normalisation, no double encoding) with a content hash header.
    public var isS3: Bool
    /// The first label of the public endpoint's host when it is not the signing name
    /// (`streams.dynamodb` for DynamoDB Streams, signed as `dynamodb`).
    public var endpointPrefix: String? = nil

    public enum ErrorFormat: Sendable, Hashable { case json, xml }

    public static let dynamoDB = AWSService(name: "dynamodb", signingName: "dynamodb", environmentSuffix: "DYNAMODB",
                                            errorFormat: .json, isS3: false)
    public static let kms = AWSService(name: "kms", signingName: "kms", environmentSuffix: "KMS",
                                       errorFormat: .json, isS3: false)
    public static let s3 = AWSService(name: "s3", signingName: "s3", environmentSuffix: "S3",
                                      errorFormat: .xml, isS3: true)
    public static let sts = AWSService(name: "sts", signingName: "sts", environmentSuffix: "STS",
                                       errorFormat: .xml, isS3: false)

    /// The public regional endpoint.
    public func defaultEndpoint(region: String) -> URL {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return URL(string: "https://\(endpointPrefix ?? signingName).\(region).\(suffix)")!
    }
}
