import ArgumentParser
import UserVaultCore

/// `watch --format`.
enum WatchFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case text, ocsf
}

/// `watch --from`.
enum FeedStartChoice: String, CaseIterable, ExpressibleByArgument, Sendable {
    case latest, oldest

    var start: FeedStart { self == .latest ? .latest : .oldest }
}
