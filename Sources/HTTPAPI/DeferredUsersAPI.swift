import Synchronization

/// The ``UsersAPI`` an ``APIServer`` answers with, set once its backend is open: the server
/// can then bind its port before anything opens (and possibly migrates) the store, so a server
/// that cannot listen leaves the store untouched. Until it is set, every request gets 503 with
/// `Retry-After`.
///
/// ```swift
/// let api = DeferredUsersAPI()
/// // APIServer.run(api: api, ...) { port in ... }; once bound:
/// api.set(UsersAPI(service: service))
/// ```
public final class DeferredUsersAPI: Sendable {
    private let api: Mutex<UsersAPI?>

    /// - Parameter api: the API, if it is known already.
    public init(_ api: UsersAPI? = nil) {
        self.api = Mutex(api)
    }

    /// Answers requests with `api` from now on.
    public func set(_ api: UsersAPI) {
        self.api.withLock { $0 = api }
    }

    /// The API, or `nil` while the backend is still opening.
    public var current: UsersAPI? {
        api.withLock { $0 }
    }
}
