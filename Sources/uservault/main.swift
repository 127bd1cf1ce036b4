import Foundation
import LambdaHandlers
import NIOCore
import NIOPosix
import UserVaultCLI

let arguments = Array(CommandLine.arguments.dropFirst())
let environment = ProcessInfo.processInfo.environment

// Jobs on the AWS backend run Swift concurrency's tasks on NIO's event loops, where the HTTP
// client's I/O already runs: a request no longer hops from a concurrency thread to an event
// loop and back (a thread wake-up each way). Everything else (the embedded store's CPU-bound
// work, `serve`) keeps Swift's own pool: see ``ExecutorChoice``. Blocking work must not run on
// a task either way (on a loop it would stall I/O).
if ExecutorChoice.usesEventLoops(arguments: arguments, environment: environment) {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}

// On Lambda the image's CMD (or the zip's handler) is a handler's name, or nothing (`_HANDLER`):
// the Runtime API loop runs instead of the command line.
if LambdaEntry.runs(arguments, environment: environment) {
    exit(await LambdaEntry.run(handler: arguments.first))
}
exit(await UserVaultCLI.main(arguments))
