import Synchronization
import Testing
import UserVaultCore

/// ``concurrentMap(_:width:_:)``: results in input order, never more than `width` at once, and
/// nothing new started after a service failure.
@Suite("concurrentMap")
struct ConcurrentMapTests {
    /// Counts calls in flight and the most seen at once.
    final class Gauge: Sendable {
        private let state = Mutex((now: 0, most: 0, started: 0))
        var most: Int { state.withLock { $0.most } }
        var started: Int { state.withLock { $0.started } }
        func enter() { state.withLock { $0.now += 1; $0.started += 1; $0.most = max($0.most, $0.now) } }
        func leave() { state.withLock { $0.now -= 1 } }
    }

    @Test("every input once, results in input order, at most width in flight", arguments: [1, 3, 16])
    func order(width: Int) async {
        let gauge = Gauge()
        let results = await concurrentMap(Array(0..<200), width: width) { value in
            gauge.enter()
            defer { gauge.leave() }
            await Task.yield()
            return value * 2
        }
        #expect(results.map { try? $0.get() } == (0..<200).map { $0 * 2 })
        #expect(gauge.most <= width)
        #expect(gauge.started == 200)
    }

    @Test("after a service failure nothing new starts; the inputs never started get that failure")
    func serviceFailure() async {
        let gauge = Gauge()
        let count = 100_000
        let results = await concurrentMap(Array(0..<count), width: 4) { value in
            gauge.enter()
            defer { gauge.leave() }
            if value == 10 { throw ServiceFailure(detail: "kms ReEncrypt failed: ThrottlingException after 3 attempts") }
            await Task.yield()
            return value
        }
        // Inputs are taken in order, so those started are a prefix; the batch stopped long before the end.
        let started = gauge.started
        #expect(started > 10 && started < count)
        #expect(results.count == count)
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let value): #expect(index < started && index != 10 && value == index)
            case .failure(let error): #expect(ServiceFailure(error) != nil && (index == 10 || index >= started))
            }
        }
    }
}
