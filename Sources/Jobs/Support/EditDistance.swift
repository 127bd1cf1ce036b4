/// Levenshtein distance, for "did you mean" suggestions (commands, job file keys, suppressions
/// file keys and finding codes).
public enum EditDistance {
    /// The number of single-character insertions, deletions and substitutions that turn `a`
    /// into `b`.
    public static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The candidate closest to `word` (ties: the first in `candidates`), with its distance.
    public static func nearest(to word: String, in candidates: [String]) -> (candidate: String, distance: Int)? {
        candidates.map { ($0, between(word, $0)) }.min { $0.1 < $1.1 }
    }
}
