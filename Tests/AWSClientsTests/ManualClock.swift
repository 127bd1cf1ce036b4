import Synchronization

/// A clock in seconds that only the test moves.
final class ManualClock: Sendable {
    private let time: Mutex<Double>

    init(start: Double = 1_000_000) {
        time = Mutex(start)
    }

    var now: Double { time.withLock { $0 } }
    func set(_ seconds: Double) { time.withLock { $0 = seconds } }
    func advance(by seconds: Double) { time.withLock { $0 += seconds } }
}
