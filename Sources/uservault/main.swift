import Foundation
import NIOCore
import NIOPosix
import UserVaultCLI

let arguments = Array(CommandLine.arguments.dropFirst())

// Jobs on the AWS backend run Swift concurrency's tasks on NIO's event loops, where the HTTP
// client's I/O already runs: a request no longer hops from a concurrency thread to an event
// loop and back (a thread wake-up each way). Everything else (the embedded store's CPU-bound
// work, `serve`) keeps Swift's own pool: see ``ExecutorChoice``. Blocking work must not run on
// a task either way (on a loop it would stall I/O).
if ExecutorChoice.usesEventLoops(arguments: arguments, environment: ProcessInfo.processInfo.environment) {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}

exit(await UserVaultCLI.main(arguments))
