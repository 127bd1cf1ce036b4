import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// What Lambda says about one invocation (the Runtime API's `next` headers).
public struct LambdaContext: Sendable {
    public var requestId: String
    /// When Lambda stops the invocation (`Lambda-Runtime-Deadline-Ms`).
    public var deadline: Date
    public var invokedFunctionArn: String
    public var traceId: String?
    /// The logger for this invocation: request id and trace id in its metadata.
    public var logger: Logger

    /// Time left before the deadline.
    public var remaining: TimeInterval { deadline.timeIntervalSinceNow }
}

/// An invocation that failed: reported to Lambda as `{errorType, errorMessage}`; the loop goes on.
public struct LambdaInvocationError: Error, Sendable, CustomStringConvertible {
    public var errorType: String
    public var errorMessage: String

    public init(_ errorType: String, _ errorMessage: String) {
        self.errorType = errorType
        self.errorMessage = errorMessage
    }

    public var description: String { "\(errorType): \(errorMessage)" }
}

/// The [Lambda Runtime API](https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) loop
/// of a custom runtime: `GET next` → handler → `POST response` or `POST error`, forever. An error
/// before the loop starts goes to `POST init/error`.
///
/// ```swift
/// let runtime = LambdaRuntime(api: ProcessInfo.processInfo.environment["AWS_LAMBDA_RUNTIME_API"]!, logger: logger)
/// try await runtime.run { context, event in try await handle(event, context) }
/// ```
public struct LambdaRuntime: Sendable {
    /// `host:port` of the Runtime API (`AWS_LAMBDA_RUNTIME_API`).
    public let api: String
    public let logger: Logger
    let client: HTTPClient

    public init(api: String, logger: Logger, client: HTTPClient = .shared) {
        self.api = api
        self.logger = logger
        self.client = client
    }

    var base: String { "http://\(api)/2018-06-01/runtime" }

    /// Serves invocations until the task is cancelled or the Runtime API fails.
    public func run(_ handler: @escaping @Sendable (LambdaContext, Data) async throws -> Data) async throws {
        while !Task.isCancelled {
            let (context, event) = try await next()
            do {
                let result = try await handler(context, event)
                try await post("invocation/\(context.requestId)/response", body: result)
            } catch {
                let failure = error as? LambdaInvocationError ?? LambdaInvocationError("Runtime.HandlerError", "\(error)")
                context.logger.error("invocation failed", metadata: ["errorType": "\(failure.errorType)"])
                try await post("invocation/\(context.requestId)/error", body: Self.errorBody(failure),
                               errorType: failure.errorType)
            }
        }
    }

    /// Reports an error that stops the function before its first invocation.
    public func reportInitError(_ error: LambdaInvocationError) async {
        do {
            try await post("init/error", body: Self.errorBody(error), errorType: error.errorType)
        } catch {
            logger.error("could not report the init error", metadata: ["error": "\(error)"])
        }
    }

    /// Waits for the next invocation (a long poll: no timeout).
    func next() async throws -> (LambdaContext, Data) {
        let response = try await client.execute(HTTPClientRequest(url: "\(base)/invocation/next"), timeout: .hours(24))
        let body = try await response.body.collect(upTo: 6 << 20)  // Lambda's synchronous payload limit
        guard response.status == .ok, let requestId = response.headers.first(name: "Lambda-Runtime-Aws-Request-Id") else {
            throw LambdaInvocationError("Runtime.NextFailed", "GET next answered \(response.status.code)")
        }
        let deadlineMs = response.headers.first(name: "Lambda-Runtime-Deadline-Ms").flatMap(Double.init) ?? 0
        let traceId = response.headers.first(name: "Lambda-Runtime-Trace-Id")
        // The trace id goes into the invocation's log metadata, not into the process environment
        // (`setenv` while other threads may read the environment is a data race).
        var logger = self.logger
        logger[metadataKey: "requestId"] = "\(requestId)"
        if let traceId { logger[metadataKey: "traceId"] = "\(traceId)" }
        let context = LambdaContext(
            requestId: requestId, deadline: Date(timeIntervalSince1970: deadlineMs / 1000),
            invokedFunctionArn: response.headers.first(name: "Lambda-Runtime-Invoked-Function-Arn") ?? "",
            traceId: traceId, logger: logger)
        return (context, Data(body.readableBytesView))
    }

    func post(_ path: String, body: Data, errorType: String? = nil) async throws {
        var request = HTTPClientRequest(url: "\(base)/\(path)")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body))
        if let errorType { request.headers.add(name: "Lambda-Runtime-Function-Error-Type", value: errorType) }
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw LambdaInvocationError("Runtime.PostFailed", "POST \(path) answered \(response.status.code)")
        }
    }

    static func errorBody(_ error: LambdaInvocationError) -> Data {
        (try? JSONSerialization.data(withJSONObject: ["errorType": error.errorType, "errorMessage": error.errorMessage],
                                     options: [.sortedKeys])) ?? Data()
    }
}
