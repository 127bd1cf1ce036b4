import Foundation

extension KeyService {
    /// Schedules `keyId`'s deletion after `pendingDays` (7–30): `true`, or `false` when the key
    /// was already pending deletion (someone scheduled it first). Scheduling first and describing
    /// only on a refusal leaves no gap between a look at the state and the request.
    ///
    /// - Throws: the key service's error, e.g. ``KeyServiceError/notFound`` for a key that is gone.
    public func scheduleDeletionUnlessPending(keyId: String, pendingDays: Int) async throws -> Bool {
        do {
            try await scheduleKeyDeletion(keyId: keyId, pendingWindowDays: pendingDays)
            return true
        } catch let error as KeyServiceError where error == .invalidState {
            guard try await describeKey(keyId: keyId).state == .pendingDeletion else { throw error }
            return false
        }
    }
}
