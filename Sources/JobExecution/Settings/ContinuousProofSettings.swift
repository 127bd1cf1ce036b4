import Jobs

/// How the continuous proofs prove, from the environment (the handlers) or the options (`watch`).
public struct ContinuousProofSettings: Sendable {
    public var depth: AuditDepth
    public var keyState: KeyStateChoice

    /// `USERVAULT_PROOF_DEPTH` (standard or deep), else `depth`; `USERVAULT_KEY_STATE` (proof,
    /// describe or auto, as `audit --key-state`), else auto.
    public static func fromEnvironment(_ environment: [String: String], depth: AuditDepth) throws -> Self {
        var settings = Self(depth: depth, keyState: .auto)
        if let text = environment["USERVAULT_PROOF_DEPTH"], !text.isEmpty {
            guard let value = AuditDepth(rawValue: text) else {
                throw JobExit.usage("USERVAULT_PROOF_DEPTH must be standard or deep (got '\(text)')")
            }
            settings.depth = value
        }
        if let text = environment["USERVAULT_KEY_STATE"], !text.isEmpty {
            guard let value = KeyStateChoice(rawValue: text) else {
                throw JobExit.usage("USERVAULT_KEY_STATE must be proof, describe or auto (got '\(text)')")
            }
            settings.keyState = value
        }
        return settings
    }

    public func proof(on backend: Backend, keyState: KeyStateSource? = nil) -> ContinuousProof {
        ContinuousProof(table: backend.table, keys: backend.keys,
                        configuration: .init(depth: depth, keyState: keyState ?? self.keyState.resolved(for: backend)))
    }
}
