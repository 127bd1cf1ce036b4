import ArchiveIO
import ArgumentParser
import JobExecution
import Jobs
import Logging

// The closed sets of values the options take (``SettingChoice``, JobExecution), as
// argument-parser reads them: `--help` lists each one's values, and a value outside the set is a
// usage error naming the option. Each reads its text as a job file's parameter does.

extension BackendKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(choice: argument) }
}

extension LogFormat: ExpressibleByArgument {
    public init?(argument: String) { self.init(choice: argument) }
}

extension Logger.Level: @retroactive ExpressibleByArgument {
    public init?(argument: String) { self.init(choice: argument) }
}

extension FindingsTarget: ExpressibleByArgument {
    public init?(argument: String) { self.init(choice: argument) }
}

extension ProgressMode: ExpressibleByArgument {}
extension RotationMode: ExpressibleByArgument {}
extension BackfillName: ExpressibleByArgument {}
extension KeyStateChoice: ExpressibleByArgument {}
extension WatchFormat: ExpressibleByArgument {}
extension FeedStartChoice: ExpressibleByArgument {}
extension MetricsFormat: ExpressibleByArgument {}
extension AuditDepth: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}
extension FailWhen: ExpressibleByArgument {}
extension ArchiveFormat: ExpressibleByArgument {}

extension BaselineChoice: ExpressibleByArgument {}
