@testable import AWSClients
import Foundation
import Testing
import TestSupport

/// Our adaptive rate limiter against botocore's (`botocore/retries/adaptive.py`, `bucket.py`,
/// `throttling.py`, wired by its own `register_retry_handler`): both are fed one script of
/// requests and answers at set times, and must agree at every step.
@Suite("Adaptive rate limiter: step by step as botocore")
struct AdaptiveReferenceTests {
    /// One scripted event: a request asks for a token, or an answer comes back.
    struct Step: Sendable {
        /// Seconds, written with three decimals so both sides read the very same `Double`.
        var time: String
        var send: Bool
        /// `nil`: a connection error (no answer).
        var status: Int?
        var code: String?

        var json: String {
            let status = self.status.map(String.init) ?? "null"
            let code = self.code.map { "\"\($0)\"" } ?? "null"
            return send ? #"{"t": \#(time), "event": "send"}"#
                : #"{"t": \#(time), "event": "answer", "status": \#(status), "code": \#(code)}"#
        }
    }

    /// What botocore printed for one step: `wait` for a send, the state for an answer.
    struct Reference: Decodable {
        var wait: Double?
        var throttled: Bool?
        var enabled: Bool?
        var measuredRate: Double?
        var fillRate: Double?
        var maxCapacity: Double?
        var capacity: Double?
        var lastMaxRate: Double?
        var timeWindow: Double?
        var lastThrottleTime: Double?
    }

    /// A seeded SplitMix64: the script is the same on every run.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Answers of every kind the classification must agree on, throttling and not.
    static let answers: [(weight: Int, status: Int?, code: String?)] = [
        (60, 200, nil), (12, 400, "ThrottlingException"), (3, 400, "ProvisionedThroughputExceededException"),
        (2, 503, "SlowDown"), (2, 400, "RequestLimitExceeded"), (2, 429, nil), (2, 400, "ThrottlingError"),
        (2, 400, "TooManyRequestsException"), (3, 500, nil), (2, 400, "ValidationException"), (2, nil, nil),
    ]

    static func script(seed: UInt64, steps: Int) -> (start: String, steps: [Step]) {
        var random = SeededGenerator(state: seed)
        var millis = 1_700_000_000_000 + Int.random(in: 0..<1000, using: &random)
        let start = millis
        var script: [Step] = []
        let total = answers.map(\.weight).reduce(0, +)
        func stamp() -> String { "\(millis / 1000).\(String(format: "%03d", millis % 1000))" }
        for index in 0..<steps {
            // Mostly bursts a few ms apart, sometimes a pause, now and then a long silence.
            let gap = index % 97 == 96 ? Int.random(in: 3_000...12_000, using: &random)
                : Bool.random(using: &random) ? Int.random(in: 0...40, using: &random) : Int.random(in: 41...900, using: &random)
            millis += gap
            if Int.random(in: 0..<3, using: &random) > 0 {
                script.append(Step(time: stamp(), send: true))
                continue
            }
            var pick = Int.random(in: 0..<total, using: &random)
            let answer = answers.first { pick -= $0.weight; return pick < 0 }!
            script.append(Step(time: stamp(), send: false, status: answer.status, code: answer.code))
        }
        return ("\(start / 1000).\(String(format: "%03d", start % 1000))", script)
    }

    static func botocore(start: String, steps: [Step]) async throws -> [Reference] {
        let input = #"{"start": \#(start), "steps": ["# + steps.map(\.json).joined(separator: ", ") + "]}"
        let directory = try makeTemporaryDirectory("botocore-adaptive")
        let inputURL = directory.appendingPathComponent("script.json")
        try Data(input.utf8).write(to: inputURL)
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestSupport/Fixtures/botocore_adaptive.py")
        let result = try await runChildProcess(URL(fileURLWithPath: "/bin/sh"),
                                               ["-c", "exec python3 \"$0\" < \"$1\"", fixture.path, inputURL.path])
        try #require(result.status == 0, "botocore_adaptive.py: \(String(decoding: result.stderr, as: UTF8.self))")
        return try JSONDecoder().decode([Reference].self, from: result.stdout)
    }

    /// Equal to within rounding: 1e-9 relative.
    static func close(_ ours: Double, _ theirs: Double?) -> Bool {
        guard let theirs else { return false }
        return abs(ours - theirs) <= 1e-9 * max(1, abs(theirs))
    }

    @Test("same throttling verdicts, measured rates, fill rates, capacities, CUBIC parameters and waits",
          arguments: [UInt64(1), 2, 3, 42])
    func matchesBotocore(seed: UInt64) async throws {
        let (start, steps) = Self.script(seed: seed, steps: 600)
        let reference = try await Self.botocore(start: start, steps: steps)
        try #require(reference.count == steps.count)

        let clock = ManualClock(start: Double(start)!)
        let limiter = ClientRateLimiter(clock: RateLimiterClock(now: { clock.now }, sleep: { _ in }))
        var mismatches: [String] = []
        for (index, (step, theirs)) in zip(steps, reference).enumerated() where mismatches.count < 5 {
            clock.set(Double(step.time)!)
            if step.send {
                let wait = await limiter.tryAcquire()
                let agree = wait.map { Self.close($0, theirs.wait) } ?? (theirs.wait == nil)
                if !agree { mismatches.append("step \(index) send at \(step.time): wait ours \(String(describing: wait)), botocore \(String(describing: theirs.wait))") }
                continue
            }
            let throttled: Bool
            switch step.status {
            case .some(let status) where (200..<300).contains(status): throttled = false
            case .some(let status):
                throttled = AWSError.service("kms", "Encrypt", code: step.code, message: nil, statusCode: status,
                                             requestId: nil).slowsRateLimiter
            case .none: throttled = AWSError.transport("kms", "Encrypt", "connection refused").slowsRateLimiter
            }
            await limiter.update(throttled: throttled)
            let ours = await limiter.state(throttled: throttled)
            let fields: [(String, Double, Double?)] = [
                ("measuredRate", ours.measuredRate, theirs.measuredRate), ("fillRate", ours.fillRate, theirs.fillRate),
                ("maxCapacity", ours.maxCapacity, theirs.maxCapacity), ("capacity", ours.capacity, theirs.capacity),
                ("lastMaxRate", ours.lastMaxRate, theirs.lastMaxRate), ("timeWindow", ours.timeWindow, theirs.timeWindow),
                ("lastThrottleTime", ours.lastThrottleTime, theirs.lastThrottleTime),
            ]
            var differences = fields.filter { !Self.close($0.1, $0.2) }.map { "\($0.0) ours \($0.1), botocore \(String(describing: $0.2))" }
            if ours.throttled != theirs.throttled { differences.append("throttled ours \(ours.throttled), botocore \(String(describing: theirs.throttled))") }
            if ours.enabled != theirs.enabled { differences.append("enabled ours \(ours.enabled), botocore \(String(describing: theirs.enabled))") }
            if !differences.isEmpty {
                mismatches.append("step \(index) answer \(step.status.map(String.init) ?? "none") \(step.code ?? "") at \(step.time): "
                    + differences.joined(separator: "; "))
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }
}
