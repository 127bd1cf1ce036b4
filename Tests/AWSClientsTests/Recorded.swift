import Synchronization

/// Values recorded from any task, in order: what a hook saw happen.
final class Recorded<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])

    var values: [Value] { storage.withLock { $0 } }
    var count: Int { storage.withLock { $0.count } }
    func append(_ value: Value) { storage.withLock { $0.append(value) } }
}
