import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A child process started with `posix_spawn(3)`, with the part of `Foundation.Process`'s
/// interface this project uses (executable, arguments, environment, directory, standard
/// streams, terminate, wait, status).
///
/// Why not `Foundation.Process`: on Linux its `run()` lists `/proc/self/fd` to close every
/// inherited descriptor, copying each directory entry's whole 256-byte name field; when an entry
/// sits at the end of glibc's buffer the copy reads past it and the parent crashes with SIGSEGV
/// (swift-corelibs-foundation pull request 5472; seen in our own test suite in a process with
/// many descriptors open). Here the child closes them itself (`closefrom` as a spawn file
/// action), and nothing reads directory entries.
///
/// ```swift
/// let process = SpawnedProcess()
/// process.executableURL = URL(fileURLWithPath: "/bin/sh")
/// process.arguments = ["-c", "exit 3"]
/// try process.run()
/// process.waitUntilExit()
/// process.terminationStatus   // 3
/// ```
public final class SpawnedProcess: @unchecked Sendable {
    // Set before `run()`, from one thread; read-only afterwards.
    public var executableURL: URL?
    public var arguments: [String] = []
    /// `nil`: the parent's environment.
    public var environment: [String: String]?
    /// `nil`: the parent's working directory.
    public var currentDirectoryURL: URL?
    /// A `FileHandle` or a `Pipe` (its reading end); `nil` is `/dev/null`. Default: the parent's.
    public var standardInput: Any? = FileHandle.standardInput
    /// A `FileHandle` or a `Pipe` (its writing end); `nil` is `/dev/null`. Default: the parent's.
    public var standardOutput: Any? = FileHandle.standardOutput
    /// A `FileHandle` or a `Pipe` (its writing end); `nil` is `/dev/null`. Default: the parent's.
    public var standardError: Any? = FileHandle.standardError
    /// Called once, on a thread of its own, when the process has exited.
    public var terminationHandler: (@Sendable (SpawnedProcess) -> Void)?

    /// Guards `pid` and `waitStatus`; signalled when the process exits.
    private let condition = NSCondition()
    private var pid: pid_t = 0
    private var waitStatus: Int32?

    public init() {}

    public var processIdentifier: Int32 { condition.withLock { pid } }

    /// Started and not yet reaped.
    public var isRunning: Bool { condition.withLock { pid != 0 && waitStatus == nil } }

    /// The exit code, or the signal that ended the process (see ``terminationReason``).
    public var terminationStatus: Int32 {
        let status = condition.withLock { waitStatus } ?? 0
        return Self.signalled(status) ? status & 0x7F : (status >> 8) & 0xFF
    }

    public var terminationReason: Process.TerminationReason {
        Self.signalled(condition.withLock { waitStatus } ?? 0) ? .uncaughtSignal : .exit
    }

    /// Starts the process. Throws when it cannot be started (no such executable, no such
    /// directory, ...), with the system's reason.
    public func run() throws {
        guard let executable = executableURL?.path else { throw SpawnError("no executable") }
        var actions = posix_spawn_file_actions_t()
        try Self.check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        try Self.check(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own, as Foundation.Process does; and a clean signal state: no
        // signal blocked (a parent's thread may block SIGTERM, and the child would then ignore
        // `terminate()`), and the default action for those a parent commonly ignores (SIGPIPE).
        let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        try Self.check(posix_spawnattr_setflags(&attributes, Int16(flags)), "posix_spawnattr_setflags")
        try Self.check(posix_spawnattr_setpgroup(&attributes, 0), "posix_spawnattr_setpgroup")
        var signals = sigset_t()
        sigemptyset(&signals)
        try Self.check(posix_spawnattr_setsigmask(&attributes, &signals), "posix_spawnattr_setsigmask")
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&signals, signal) }
        try Self.check(posix_spawnattr_setsigdefault(&attributes, &signals), "posix_spawnattr_setsigdefault")

        var nullDevice: FileHandle?
        func descriptor(_ stream: Any?, reading: Bool) throws -> Int32 {
            switch stream {
            case let pipe as Pipe:
                return reading ? pipe.fileHandleForReading.fileDescriptor : pipe.fileHandleForWriting.fileDescriptor
            case let handle as FileHandle where handle.fileDescriptor >= 0:
                return handle.fileDescriptor
            default:
                // nil, or `FileHandle.nullDevice` (a handle without a descriptor).
                if nullDevice == nil {
                    guard let handle = FileHandle(forUpdatingAtPath: "/dev/null") else { throw SpawnError("cannot open /dev/null") }
                    nullDevice = handle
                }
                return nullDevice!.fileDescriptor
            }
        }
        let streams = [(try descriptor(standardInput, reading: true), STDIN_FILENO),
                       (try descriptor(standardOutput, reading: false), STDOUT_FILENO),
                       (try descriptor(standardError, reading: false), STDERR_FILENO)]
        for (source, target) in streams where source != target {
            try Self.check(posix_spawn_file_actions_adddup2(&actions, source, target), "posix_spawn_file_actions_adddup2")
        }
        if let directory = currentDirectoryURL?.path {
            guard let addChdir = GNUSpawnActions.addChdir else { throw SpawnError("posix_spawn_file_actions_addchdir_np is missing") }
            try Self.check(addChdir(&actions, directory), "posix_spawn_file_actions_addchdir_np")
        }
        // Everything above standard error is closed in the child (the parent's descriptors are
        // not all close-on-exec). Without closefrom (glibc < 2.34) only close-on-exec ones are.
        if let closeFrom = GNUSpawnActions.addCloseFrom {
            try Self.check(closeFrom(&actions, 3), "posix_spawn_file_actions_addclosefrom_np")
        }

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var spawned: pid_t = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { argvPointer in
            (envp + [nil]).withUnsafeBufferPointer { envpPointer in
                posix_spawn(&spawned, executable, &actions, &attributes, argvPointer.baseAddress!, envpPointer.baseAddress!)
            }
        }
        try? nullDevice?.close()
        guard result == 0 else { throw SpawnError("\(executable): \(String(cString: strerror(result)))") }
        // The child holds its ends of the pipes now: without closing ours, a reader never sees EOF.
        if let pipe = standardInput as? Pipe { try? pipe.fileHandleForReading.close() }
        if let pipe = standardOutput as? Pipe { try? pipe.fileHandleForWriting.close() }
        if let pipe = standardError as? Pipe { try? pipe.fileHandleForWriting.close() }
        let child = spawned
        condition.withLock { pid = child }

        // Reaped on a thread of its own (never a Swift concurrency thread).
        let reaper = Thread { [self] in
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            condition.withLock {
                waitStatus = status
                condition.broadcast()
            }
            terminationHandler?(self)
        }
        reaper.start()
    }

    /// Sends SIGTERM (if it still runs).
    public func terminate() {
        signal(SIGTERM)
    }

    /// Sends `signal` (if it still runs).
    public func signal(_ signal: Int32) {
        condition.withLock {
            if pid != 0 && waitStatus == nil { kill(pid, signal) }
        }
    }

    /// Blocks the calling thread until the process has exited.
    public func waitUntilExit() {
        condition.withLock {
            while waitStatus == nil { condition.wait() }
        }
    }

    private static func signalled(_ status: Int32) -> Bool {
        let low = status & 0x7F
        return low != 0 && low != 0x7F
    }

    private static func check(_ result: Int32, _ call: String) throws {
        guard result == 0 else { throw SpawnError("\(call): \(String(cString: strerror(result)))") }
    }
}

/// Why a ``SpawnedProcess`` did not start.
public struct SpawnError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// glibc's GNU spawn file actions, which Swift's Glibc module does not declare: looked up once.
private enum GNUSpawnActions {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")

    private static func symbol<Function>(_ name: String) -> Function? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: Function.self)
    }
}
