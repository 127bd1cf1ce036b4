import Foundation

/// SplitMix64: a small, fast, seedable generator, so `seed --seed S` is reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Plausible synthetic people for seeding and demos.
public enum SyntheticUsers {
    static let firstNames = [
        "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger", "Radia", "Tim",
        "Hedy", "Donald", "Katherine", "John", "Sophie", "Niklaus", "Adele", "Bjarne", "Joan", "Guido", "Lynn", "James",
        "Mary", "Yukihiro", "Anita", "Brian", "Shafi", "Leslie", "Ruth", "Whitfield", "Evelyn", "Vint", "Jean", "Robert",
    ]
    static let lastNames = [
        "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen", "Dijkstra",
        "Perlman", "Berners-Lee", "Lamarr", "Knuth", "Johnson", "McCarthy", "Wilson", "Wirth", "Goldberg", "Stroustrup",
        "Clarke", "van Rossum", "Conway", "Gosling", "Keller", "Matsumoto", "Borg", "Kernighan", "Goldwasser",
        "Lamport", "Teitelbaum", "Diffie", "Boyd", "Cerf", "Sammet", "Tarjan",
    ]

    /// The `index`-th synthetic user; `password` is random and never printed.
    public static func make(index: Int, using generator: inout SeededGenerator) -> NewUserInput {
        let first = firstNames[Int(generator.next() % UInt64(firstNames.count))]
        let last = lastNames[Int(generator.next() % UInt64(lastNames.count))]
        let tag = String(generator.next() % 1_000_000_000, radix: 36)
        let handle = "\(first).\(last)".lowercased().replacingOccurrences(of: " ", with: "")
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%+")
        let password = String((0..<20).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        return NewUserInput(
            firstname: first, lastname: last, email: "\(handle).\(tag).\(index)@example.com",
            username: "\(handle).\(tag)", credentials: password)
    }
}
