/// This worker's share of the segments (`--worker I/M`): segment `s` belongs to worker
/// `s mod M`, so M workers (Lambda, Step Functions Map, Batch array or Kubernetes indexed jobs)
/// split any segment count evenly, disjointly and completely.
public struct WorkerShare: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 0-based index of this worker.
    public var index: Int
    /// How many workers share the scan.
    public var count: Int

    public static let whole = WorkerShare(index: 0, count: 1)

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "worker index out of range")
        self.index = index
        self.count = count
    }

    /// Parses `I/M` with `0 <= I < M`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1,
              (0..<count).contains(index)
        else { return nil }
        self.init(index: index, count: count)
    }

    /// The segments of `totalSegments` that this worker scans.
    public func segments(of totalSegments: Int) -> StrideTo<Int> {
        stride(from: index, to: totalSegments, by: count)
    }

    public var description: String { "\(index)/\(count)" }
}
