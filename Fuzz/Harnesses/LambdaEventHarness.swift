import Foundation
import HTTPAPI
import LambdaRuntime
@testable import JobExecution
@testable import LambdaHandlers

/// Lambda events: API Gateway proxy events (payload 1.0 and 2.0, ``APIGatewayEvent``) through the
/// users API on an embedded store, and job events (EventBridge, Step Functions; ``LambdaJobs``)
/// made the typed job the job function would run.
///
/// Input: one byte (even: an API event; odd: a job event), then the event.
///
/// Checks: an API event is refused only with ``APIGatewayEvent/NotAnAPIEvent``, and an accepted
/// one is answered as ``APIRequestHarness`` checks, in a proxy response (a JSON object with that
/// status and a body); a job event is refused only with ``LambdaInvocationError`` or
/// ``JobDefinition/Invalid``, and its report folder and output are placed where Lambda may write.
enum LambdaEventHarness {
    static let target = FuzzTarget("lambda-event", "API Gateway and job events of the Lambda functions", async: check)

    static let environment = ["USERVAULT_REPORT_DIR": "s3://reports-bucket/reports", "USERVAULT_EXPORT_DIR": "/tmp/exports"]

    static func check(_ input: [UInt8], _ workspace: FuzzWorkspace) async throws {
        guard let choice = input.first else { return }
        let event = Data(input.dropFirst())
        if choice % 2 == 0 {
            try await apiEvent(event, workspace: workspace)
        } else {
            try jobEvent(event)
        }
    }

    static func apiEvent(_ event: Data, workspace: FuzzWorkspace) async throws {
        let decoded: (format: APIGatewayEvent.PayloadFormat, request: APIRequest)
        do {
            decoded = try APIGatewayEvent.decode(event)
        } catch is APIGatewayEvent.NotAnAPIEvent {
            return
        } catch {
            throw InvariantViolation.untyped(error, expected: "APIGatewayEvent.NotAnAPIEvent")
        }
        let users = try workspace.usersAPI().users
        let response = await users.handle(decoded.request, logger: APIRequestHarness.logger)
        try APIRequestHarness.checkAnswer(response, to: decoded.request, raw: Array(event))
        let reply = APIGatewayEvent.encode(response, as: decoded.format)
        guard let object = (try? JSONSerialization.jsonObject(with: reply)) as? [String: Any],
              object["statusCode"] as? Int == response.status, object["body"] is String
        else { throw InvariantViolation("the proxy response is not a JSON object with the status and a body") }
    }

    /// The job function as `_HANDLER=job` makes it, once.
    static let jobs = Result {
        LambdaJobs(environment: environment, settings: try Settings(Settings.Flags(), environment: environment))
    }

    static func jobEvent(_ event: Data) throws {
        let jobs: LambdaJobs
        do {
            jobs = try Self.jobs.get()
        } catch {
            throw InvariantViolation("the job function's settings: \(error)")
        }
        var definition: JobDefinition
        do {
            definition = try LambdaJobs.definition(from: event)
        } catch is LambdaInvocationError {
            return
        } catch {
            throw InvariantViolation.untyped(error, expected: "LambdaInvocationError")
        }
        jobs.placeOutputs(&definition)
        let placed = definition.job == "export" ? definition.output : definition.reportDir
        guard let placed, placed.hasPrefix("/") || placed.hasPrefix("s3://") else {
            throw InvariantViolation("a \(definition.job) job's output left at '\(placed ?? "nil")', where Lambda cannot write")
        }
        try JobFileHarness.use(definition)
    }
}
