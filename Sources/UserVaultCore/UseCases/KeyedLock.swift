import Synchronization

/// Mutual exclusion per key: at most one holder of each key at a time, waiters served in order.
///
/// The create path holds the normalised email, so concurrent creates of one email in one
/// process run one after another: the first writes, the others then see the duplicate before
/// spending a KMS key. The transaction's guard item remains the guarantee across processes.
final class KeyedLock: Sendable {
    private struct State {
        var held: Set<String> = []
        var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state = Mutex(State())

    /// Waits until `key` is free, then holds it. Pair every call with ``release(_:)``.
    func acquire(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state in
                if state.held.insert(key).inserted { return true }
                state.waiters[key, default: []].append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    /// Hands `key` to the next waiter (which then holds it), or frees it.
    func release(_ key: String) {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var queue = state.waiters[key], !queue.isEmpty else {
                state.held.remove(key)
                state.waiters[key] = nil
                return nil
            }
            let next = queue.removeFirst()
            state.waiters[key] = queue.isEmpty ? nil : queue
            return next
        }
        next?.resume()
    }
}
