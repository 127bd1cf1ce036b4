import Foundation
import Logging

/// The one create/list/get core that the API handlers and the jobs share, and the new password
/// of an existing user (``setPassword(userId:password:logger:)``), sealed the way create seals.
///
/// ```swift
/// let service = UserService(table: table, keys: keys, cursors: PageCursorCodec(secret: secret))
/// let user = try await service.create(input)
/// let page = try await service.list(ListQuery(pageSize: 50))
/// let change = try await service.setPassword(userId: user.id, password: newPassword)
/// ```
public struct UserService: Sendable {
    /// Tunables; every parameter has a default.
    public struct Configuration: Sendable {
        /// Days a leaked key (created for a write that then failed) waits before deletion (KMS minimum 7).
        public var abandonedKeyPendingDays: Int
        /// Days the key a user moved off (a new password under a new key) waits before deletion:
        /// KMS's longest, 30, so that a mistake can still be undone (`CancelKeyDeletion`).
        public var replacedKeyPendingDays: Int
        public var defaultPageSize: Int
        public var maxPageSize: Int
        /// At most this many backend pages are read to fill one list page.
        public var maxScanPagesPerList: Int

        public init(abandonedKeyPendingDays: Int = 7, replacedKeyPendingDays: Int = 30, defaultPageSize: Int = 20,
                    maxPageSize: Int = 100, maxScanPagesPerList: Int = 8) {
            self.abandonedKeyPendingDays = abandonedKeyPendingDays
            self.replacedKeyPendingDays = replacedKeyPendingDays
            self.defaultPageSize = defaultPageSize
            self.maxPageSize = maxPageSize
            self.maxScanPagesPerList = maxScanPagesPerList
        }
    }

    public let table: any UserTable
    public let keys: any KeyService
    public let cursors: PageCursorCodec
    public let configuration: Configuration
    private let now: @Sendable () -> Date
    private let makeId: @Sendable () -> String
    private let emailLocks: KeyedLock

    public init(table: any UserTable, keys: any KeyService, cursors: PageCursorCodec,
                configuration: Configuration = .init(),
                now: @escaping @Sendable () -> Date = { Date() },
                makeId: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }) {
        self.table = table
        self.keys = keys
        self.cursors = cursors
        self.configuration = configuration
        self.now = now
        self.makeId = makeId
        self.emailLocks = KeyedLock()
    }

    /// Validates, creates a per-user CMK (tagged `CreatedBy=<id>`, rotation on), seals the
    /// password under it with context `{"userId": id}` (the rules of ``UserKeys``) and writes the
    /// user and its email guard in one transaction. If anything fails after the key exists, the
    /// key is scheduled for deletion so none leaks. Concurrent creates of one email in this
    /// process take turns (so the losers spend no key); across processes the transaction's guard
    /// item decides.
    ///
    /// - Throws: ``ValidationFailure``, ``UserTableError/duplicateEmail``, or the backend's error.
    public func create(_ input: NewUserInput, logger: Logger = Logger(label: "uservault.core")) async throws -> UserSummary {
        let valid: ValidatedUser
        switch UserValidation.validate(input) {
        case .success(let user): valid = user
        case .failure(let failure): throw failure
        }
        await emailLocks.acquire(valid.email)
        do {
            let user = try await createLocked(valid, logger: logger)
            emailLocks.release(valid.email)
            return user
        } catch {
            emailLocks.release(valid.email)
            throw error
        }
    }

    private func createLocked(_ valid: ValidatedUser, logger: Logger) async throws -> UserSummary {
        // Fail fast on a known duplicate before spending a KMS key; the transaction still decides races.
        if try await !table.users(withEmails: [valid.email]).isEmpty {
            throw UserTableError.duplicateEmail
        }
        let id = makeId()
        return try await withNewUserKey(for: id, logger: logger) { key in
            let ciphertext = try await seal(valid.password, userId: id, under: key.keyId)
            let attributes = UserAttributes(
                firstname: valid.firstname, lastname: valid.lastname, email: valid.email,
                username: valid.username, createdAt: Self.timestamp(now()))
            try await table.insertUser(
                NewUserRecord(id: id, attributes: attributes, credentials: ciphertext, credentialsKeyId: key.arn))
            logger.debug("user created", metadata: ["userId": "\(id)"])
            return UserSummary(id: id, attributes: attributes)
        }
    }

    /// A new per-user CMK for `userId` — tagged `CreatedBy=<id>`, rotation on (the rules of
    /// ``UserKeys``) — handed to `body`, which seals and writes under it. If anything fails once
    /// the key exists, the key is scheduled for deletion
    /// (``Configuration/abandonedKeyPendingDays``) so that none leaks. The create path and
    /// ``setPassword(userId:password:logger:)`` both make their keys here.
    func withNewUserKey<T>(for userId: String, logger: Logger, _ body: (KeyMetadata) async throws -> T) async throws -> T {
        let key = try await keys.createKey(description: UserKeys.keyDescription(userId: userId),
                                           tags: UserKeys.ownerTags(userId: userId))
        do {
            try await keys.enableKeyRotation(keyId: key.keyId)
            return try await body(key)
        } catch {
            await abandon(key: key, userId: userId, cause: error, logger: logger)
            throw error
        }
    }

    /// `password` sealed under `keyId` with the user's encryption context `{"userId": id}`: what
    /// a record's `credentials` holds, whether the create path or a new password wrote it.
    ///
    /// - Warning: the result is ciphertext: never log it.
    func seal(_ password: String, userId: String, under keyId: String) async throws -> Data {
        try await keys.encrypt(keyId: keyId, plaintext: Data(password.utf8), context: UserKeys.encryptionContext(userId: userId))
    }

    private func abandon(key: KeyMetadata, userId: String, cause: any Error, logger: Logger) async {
        let keys = self.keys
        let days = configuration.abandonedKeyPendingDays
        do {
            // The clean-up must outlive a cancelled create (e.g. a sibling failed in a task group),
            // or the key leaks: run it in a task that does not inherit cancellation, and wait for it.
            try await Task { try await keys.scheduleKeyDeletion(keyId: key.keyId, pendingWindowDays: days) }.value
            logger.notice("the write under a new key failed; the key is scheduled for deletion",
                          metadata: ["userId": "\(userId)", "keyId": "\(key.keyId)", "cause": "\(Self.safeDescription(cause))"])
        } catch {
            logger.error("the write under a new key failed and the key could not be scheduled for deletion",
                         metadata: ["userId": "\(userId)", "keyId": "\(key.keyId)", "error": "\(Self.safeDescription(error))"])
        }
    }

    /// One user by id, projected to the allow-list.
    public func get(id: String) async throws -> UserSummary? {
        guard Self.isPlausibleId(id) else { return nil }
        return try await table.user(id: id)
    }

    /// One page of users in scan order, or the users with one email (case-insensitive).
    ///
    /// - Throws: ``ListError/invalidCursor`` for a cursor this service did not make (or made
    ///   for another filter), ``ListError/invalidPageSize``.
    public func list(_ query: ListQuery) async throws -> UserListPage {
        let size = query.pageSize ?? configuration.defaultPageSize
        guard (1...configuration.maxPageSize).contains(size) else { throw ListError.invalidPageSize(max: configuration.maxPageSize) }
        var after: String?
        if let token = query.after {
            guard let cursor = cursors.open(token), cursor.email == query.email.map(EmailGuard.normalize) else {
                throw ListError.invalidCursor
            }
            after = cursor.after
        }
        if let email = query.email {
            return try await listByEmail(email, after: after, size: size)
        }
        var users: [UserSummary] = []
        var position = after
        var pages = 0
        repeat {
            let page = try await table.scan(ScanRequest(
                startAfter: position, limit: size - users.count, projection: .publicAttributes, usersOnly: true))
            users += page.items.filter(\.isUser).compactMap(\.summary)
            position = page.lastEvaluatedId
            pages += 1
        } while position != nil && users.count < size && pages < configuration.maxScanPagesPerList
        let next = position.map { cursors.seal(PageCursor(after: $0)) }
        return UserListPage(users: users, nextCursor: next)
    }

    private func listByEmail(_ email: String, after: String?, size: Int) async throws -> UserListPage {
        let normalized = EmailGuard.normalize(email)
        let candidates = Array(Set([normalized, email.trimmingCharacters(in: .whitespacesAndNewlines)]))
        let all = try await table.users(withEmails: candidates)
            .filter { EmailGuard.normalize($0.attributes.email) == normalized }
            .sorted { $0.id < $1.id }
        let rest = after.map { cursor in all.filter { $0.id > cursor } } ?? all
        let page = Array(rest.prefix(size))
        let next = rest.count > size ? page.last.map { cursors.seal(PageCursor(after: $0.id, email: normalized)) } : nil
        return UserListPage(users: page, nextCursor: next)
    }

    /// ISO 8601 UTC with milliseconds, as `createdAt` is stored.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// Ids are UUIDs; anything else cannot name a user (and is not sent to the backend).
    public static func isPlausibleId(_ id: String) -> Bool {
        id.utf8.count <= 64 && UUID(uuidString: id) != nil
    }

    /// An error's description with nothing secret in it (our error types are already safe).
    public static func safeDescription(_ error: any Error) -> String {
        switch error {
        case let error as UserTableError: return error.description
        case let error as KeyServiceError: return error.description
        case let error as any CustomStringConvertible: return String(error.description.prefix(300))
        default: return String(describing: type(of: error))
        }
    }
}

/// A list request.
public struct ListQuery: Sendable, Hashable {
    public var pageSize: Int?
    /// An opaque cursor from a previous page's `links.next`.
    public var after: String?
    /// `filter[email]`: case-insensitive exact match.
    public var email: String?

    public init(pageSize: Int? = nil, after: String? = nil, email: String? = nil) {
        self.pageSize = pageSize
        self.after = after
        self.email = email
    }
}

public struct UserListPage: Sendable {
    public var users: [UserSummary]
    /// The sealed cursor of the next page; `nil` on the last one.
    public var nextCursor: String?
}

public enum ListError: Error, Sendable, Hashable {
    case invalidCursor
    case invalidPageSize(max: Int)
}
