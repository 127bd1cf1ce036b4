/// What a harness found wrong with the code under test: the message libFuzzer's crash report
/// and a failed replay test show.
public struct InvariantViolation: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }

    /// The parser threw something other than its own typed error.
    static func untyped(_ error: any Error, expected: String) -> InvariantViolation {
        InvariantViolation("threw \(type(of: error)) (\(error)), not \(expected)")
    }

    /// Throws when `message` repeats a run of `window` bytes of `input`: an error or answer
    /// that quotes the bytes it was given may quote a secret.
    static func checkNoEcho(_ message: String, of input: some Collection<UInt8>, window: Int = 16, what: String) throws {
        let text = Array(message.utf8)
        guard text.count >= window, input.count >= window else { return }
        var runs = Set<ArraySlice<UInt8>>()
        for start in 0...(text.count - window) { runs.insert(text[start..<(start + window)]) }
        let bytes = Array(input)
        for start in 0...(bytes.count - window) where runs.contains(bytes[start..<(start + window)]) {
            throw InvariantViolation("\(what) repeats \(window) bytes of its input: \(message)")
        }
    }
}
