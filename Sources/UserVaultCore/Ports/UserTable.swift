import Foundation

/// The users table: what the core and the jobs need from DynamoDB or the embedded store.
///
/// Implementations live in their own modules (`EmbeddedStore`, the AWS backend); the core and
/// the jobs depend on this protocol only.
public protocol UserTable: Sendable {
    /// `"embedded"` or `"aws"`: reports always name the backend they ran on.
    var backendName: String { get }
    /// The table name (`users` by default).
    var tableName: String { get }

    /// Creates the table and its `EmailIndex` when missing. Returns `true` when it created them.
    func ensureTable() async throws -> Bool

    /// Writes a new user and its email guard in one transaction: both or neither.
    ///
    /// - Throws: ``UserTableError/duplicateEmail`` when the guard (or the id) already exists.
    func insertUser(_ record: NewUserRecord) async throws

    /// One user by id, projected to the allow-list; `nil` when absent or not a user.
    func user(id: String) async throws -> UserSummary?

    /// One whole item by id, `credentials` included: for jobs and repairs, never the API.
    func item(id: String) async throws -> StoredItem?

    /// Users whose `email` equals one of `emails` exactly, through the `EmailIndex`.
    func users(withEmails emails: [String]) async throws -> [UserSummary]

    /// One page of one segment of a parallel scan.
    ///
    /// Segments are stable ranges of the hash of `id`: for a given `totalSegments` they are
    /// disjoint and together complete.
    func scan(_ request: ScanRequest) async throws -> ScanPage

    /// Writes an item as given, replacing any item with its id.
    ///
    /// - Warning: unconditional and not guarded by the email index: for fixtures, seeding
    ///   planted defects and tests. Repairs use conditional writes.
    func unconditionalPut(_ item: StoredItem) async throws

    /// The table's item count as the backend estimates it (DynamoDB refreshes it every ~6 h).
    func approximateItemCount() async throws -> Int?

    /// The table's provisioned read capacity, units per second; `nil` for an on-demand table or
    /// a store without capacity (jobs then take no default read budget).
    func provisionedReadCapacity() async throws -> Double?

    /// The id of the user whose email guard holds `email` (compared normalised), or `nil`.
    func emailGuardHolder(email: String) async throws -> String?

    /// Writes the email guard of `email` for `userId` unless a guard holds that email already
    /// (a conditional write: never replaces one).
    ///
    /// - Returns: the id the guard names afterwards: `userId`, or the user who already held it.
    func claimEmailGuard(email: String, userId: String) async throws -> String

    /// Replaces a user's `credentials` with `ciphertext` and records `credentialsKeyId` (and
    /// `createdAt` when the item has none) — only if the item still holds `expected` (no
    /// credentials at all when `nil`; for ``StoredCredentials/other(typeName:)``, a value of that
    /// type) and the key it read: `expectedKeyId`, or none when `nil` (a conditional write: a
    /// concurrent change is never overwritten).
    ///
    /// - Returns: `false` when the item changed since it was read (nothing was written).
    func replaceCredentials(userId: String, expected: StoredCredentials?, expectedKeyId: String?, ciphertext: Data,
                            keyId: String, createdAt: String?) async throws -> Bool
}

extension UserTable {
    public func provisionedReadCapacity() async throws -> Double? { nil }

    public func emailGuardHolder(email: String) async throws -> String? {
        throw UserTableError.conditionFailed("this table does not keep email guards")
    }

    public func claimEmailGuard(email: String, userId: String) async throws -> String {
        throw UserTableError.conditionFailed("this table does not keep email guards")
    }

    public func replaceCredentials(userId: String, expected: StoredCredentials?, expectedKeyId: String?, ciphertext: Data,
                                   keyId: String, createdAt: String?) async throws -> Bool {
        throw UserTableError.conditionFailed("this table does not support conditional repairs")
    }
}

/// What a scan page may read.
public enum ScanProjection: Sendable, Hashable {
    /// Only ``UserAttributes/allowList``: the API and the export.
    case publicAttributes
    /// Everything the jobs check, `credentials` included.
    case full
    /// `id`, `type` and `credentialsKeyId` only: which keys the records name, never a credential
    /// (what finds the keys still in use).
    case keyReferences
}

/// A request for one page of one scan segment.
public struct ScanRequest: Sendable, Hashable {
    public var segment: Int
    public var totalSegments: Int
    /// Exclusive start: the id of the last item of the previous page.
    public var startAfter: String?
    public var limit: Int
    public var projection: ScanProjection
    /// Skip items whose `type` is not `"users"` (a DynamoDB filter expression on AWS).
    public var usersOnly: Bool

    public init(segment: Int = 0, totalSegments: Int = 1, startAfter: String? = nil, limit: Int,
                projection: ScanProjection, usersOnly: Bool = true) {
        precondition(totalSegments >= 1 && (0..<totalSegments).contains(segment), "segment out of range")
        precondition(limit >= 1, "limit must be positive")
        self.segment = segment
        self.totalSegments = totalSegments
        self.startAfter = startAfter
        self.limit = limit
        self.projection = projection
        self.usersOnly = usersOnly
    }
}

/// One page of a scan.
public struct ScanPage: Sendable {
    public var items: [StoredItem]
    /// The id to start after for the next page; `nil` when the segment is done.
    public var lastEvaluatedId: String?
    /// Items examined before any filter (DynamoDB `ScannedCount`).
    public var scannedCount: Int
    /// Read capacity the page consumed (DynamoDB `ConsumedCapacity`; an estimate on the embedded store).
    public var consumedReadUnits: Double

    public init(items: [StoredItem], lastEvaluatedId: String?, scannedCount: Int, consumedReadUnits: Double) {
        self.items = items
        self.lastEvaluatedId = lastEvaluatedId
        self.scannedCount = scannedCount
        self.consumedReadUnits = consumedReadUnits
    }
}
