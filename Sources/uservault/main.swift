import Foundation
import NIOCore
import NIOPosix
import UserVaultCLI

let arguments = Array(CommandLine.arguments.dropFirst())

// The jobs run Swift concurrency's tasks on NIO's event loops, where the HTTP client's I/O
// already runs: a request no longer hops from a concurrency thread to an event loop and back (a
// thread wake-up each way), which was most of a KMS request's client CPU when requests go one by
// one under a rate budget. Blocking work must not run on a task (it would stall I/O).
//
// Not for `serve`: a server that runs out of descriptors (accept failing with EMFILE, which it
// survives) then crashed, 1 run in 3 under load, in libdispatch's pool monitor, which must open
// /proc files; with this executor the monitor runs where it did not before.
if !arguments.contains("serve") {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}

exit(await UserVaultCLI.main(arguments))
