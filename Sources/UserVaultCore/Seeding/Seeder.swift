import Foundation
import Logging

/// Creates synthetic users through the real create path, and plants known defects.
public struct Seeder: Sendable {
    public struct Configuration: Sendable {
        /// Users to create in all.
        public var users: Int
        /// How many of them carry a planted fault (at most `users`).
        public var defects: Int
        public var seed: UInt64
        /// Creates in flight at once.
        public var concurrency: Int

        public init(users: Int, defects: Int = 0, seed: UInt64 = .random(in: .min ... .max), concurrency: Int = 8) {
            self.users = users
            self.defects = min(defects, users)
            self.seed = seed
            self.concurrency = concurrency
        }
    }

    public struct Outcome: Sendable, Codable {
        public var created: Int
        public var defects: [PlantedDefect]
        public var seconds: Double
    }

    let service: UserService

    public init(service: UserService) {
        self.service = service
    }

    /// Creates `users` users, the last `defects` of which each carry one planted fault
    /// (cycling through ``DefectKind``). `progress` is called with the running count.
    public func run(_ configuration: Configuration, logger: Logger,
                    progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Outcome {
        let start = ContinuousClock.now
        let total = configuration.users
        let clean = configuration.users - configuration.defects
        // Pre-draw the inputs so the output is reproducible whatever the completion order.
        var generator = SeededGenerator(seed: configuration.seed)
        let inputs = (0..<total).map { SyntheticUsers.make(index: $0, using: &generator) }
        var ids = [String?](repeating: nil, count: total)
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var next = 0
            var done = 0
            func submit() {
                let index = next
                let input = inputs[index]
                next += 1
                group.addTask { (index, try await self.service.create(input, logger: logger).id) }
            }
            while next < min(total, max(1, configuration.concurrency)) { submit() }
            while let (index, id) = try await group.next() {
                ids[index] = id
                done += 1
                if done % 1000 == 0 || done == total { progress(done) }
                if next < total { submit() }
            }
        }
        let defectIds = ids[clean...].compactMap { $0 }
        let planter = DefectPlanter(table: service.table, keys: service.keys)
        var defects: [PlantedDefect] = []
        var index = 0
        var defectGenerator = SeededGenerator(seed: configuration.seed ^ 0xDEFEC7)
        while index < defectIds.count {
            let kind = DefectKind.allCases[defects.count % DefectKind.allCases.count]
            if kind == .sharedKey {
                guard index + 1 < defectIds.count else { break }
                defects.append(try await planter.plantSharedKey(owner: defectIds[index], borrower: defectIds[index + 1],
                                                                password: inputs[clean + index + 1].credentials!))
                index += 2
            } else {
                defects.append(try await planter.plant(kind, userId: defectIds[index],
                                                       password: inputs[clean + index].credentials!,
                                                       using: &defectGenerator))
                index += 1
            }
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        return Outcome(created: total, defects: defects, seconds: seconds)
    }
}
