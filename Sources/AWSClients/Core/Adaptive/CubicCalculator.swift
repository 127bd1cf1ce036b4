import Foundation

/// CUBIC rate adjustment, as botocore's `CubicCalculator`: a throttle cuts the rate to β (0.7) of
/// the rate it came at (`w_max`); afterwards the rate follows `C · (t − k)³ + w_max` (C = 0.4),
/// back to `w_max` after `k = ∛(w_max · (1 − β) / C)` seconds and beyond it after that.
struct CubicCalculator: Sendable {
    static let scaleConstant = 0.4
    static let beta = 0.7

    /// The rate at the last throttle (`w_max`).
    private(set) var lastMaxRate: Double
    /// Seconds from the last throttle until the rate is back at ``lastMaxRate`` (`k`).
    private(set) var timeWindow: Double
    private(set) var lastThrottleTime: Double

    init(startingMaxRate: Double = 0, start: Double) {
        lastMaxRate = startingMaxRate
        lastThrottleTime = start
        timeWindow = Self.zeroPoint(startingMaxRate)
    }

    static func zeroPoint(_ maxRate: Double) -> Double {
        pow(maxRate * (1 - beta) / scaleConstant, 1 / 3.0)
    }

    /// The rate for a successful answer at `time`.
    func successReceived(at time: Double) -> Double {
        Self.scaleConstant * pow(time - lastThrottleTime - timeWindow, 3) + lastMaxRate
    }

    /// A throttle at `time` while sending at `rate`: returns the cut rate.
    mutating func errorReceived(rate: Double, at time: Double) -> Double {
        lastMaxRate = rate
        timeWindow = Self.zeroPoint(rate)
        lastThrottleTime = time
        return rate * Self.beta
    }
}
