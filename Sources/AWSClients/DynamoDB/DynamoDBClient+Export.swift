import Foundation

extension DynamoDBClient {
    /// [ExportTableToPointInTime](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html):
    /// asks DynamoDB to write the table as of an instant to S3. It consumes no read capacity and
    /// needs point-in-time recovery on the table (else `PointInTimeRecoveryUnavailableException`).
    ///
    /// ```swift
    /// let export = try await dynamo.exportTableToPointInTime(.init(TableArn: arn, S3Bucket: "staging", S3Prefix: "exports"))
    /// ```
    public func exportTableToPointInTime(_ input: DynamoDB.ExportTableToPointInTimeInput) async throws -> DynamoDB.ExportDescription {
        let output: DynamoDB.ExportDescriptionOutput = try await client.jsonCall(
            "ExportTableToPointInTime", targetPrefix: Self.targetPrefix, contentType: Self.contentType, input: input)
        guard let description = output.ExportDescription, description.ExportArn != nil else {
            throw AWSError.invalidResponse("dynamodb", "ExportTableToPointInTime", "no ExportDescription.ExportArn in the answer")
        }
        return description
    }

    /// [DescribeExport](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeExport.html).
    public func describeExport(arn: String) async throws -> DynamoDB.ExportDescription {
        let output: DynamoDB.ExportDescriptionOutput = try await client.jsonCall(
            "DescribeExport", targetPrefix: Self.targetPrefix, contentType: Self.contentType,
            input: DynamoDB.ExportArnInput(ExportArn: arn))
        guard let description = output.ExportDescription else {
            throw AWSError.invalidResponse("dynamodb", "DescribeExport", "no ExportDescription in the answer")
        }
        return description
    }

    /// [DescribeContinuousBackups](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeContinuousBackups.html):
    /// whether point-in-time recovery is on, and its restorable window.
    public func describeContinuousBackups(table: String) async throws -> DynamoDB.ContinuousBackupsDescription {
        let output: DynamoDB.ContinuousBackupsOutput = try await client.jsonCall(
            "DescribeContinuousBackups", targetPrefix: Self.targetPrefix, contentType: Self.contentType,
            input: DynamoDB.TableNameInput(TableName: table))
        return output.ContinuousBackupsDescription ?? .init()
    }
}
