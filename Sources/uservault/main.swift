import Foundation
import NIOCore
import NIOPosix
import UserVaultCLI

// Swift concurrency's tasks run on NIO's event loops, where the HTTP client's I/O already runs:
// a request no longer hops from a concurrency thread to an event loop and back (a thread wake-up
// each way), which was most of a KMS request's client CPU when requests go one by one under a
// rate budget. Blocking work must not run on a task (it would stall I/O); it uses its own threads.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

exit(await UserVaultCLI.main(Array(CommandLine.arguments.dropFirst())))
