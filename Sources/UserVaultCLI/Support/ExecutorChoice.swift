/// Which executor the process should run Swift concurrency on, decided from the raw command
/// line before anything runs (the choice cannot change once a task exists).
///
/// NIO's event loops suit the AWS backend: a request's task and its connection share a thread,
/// so no thread is woken to hop between them. They do not suit CPU-bound work: a loop runs only
/// the tasks queued on it, with no stealing, so a page of AES-GCM opens on one loop leaves the
/// other idle while tasks wait. The embedded store's 1M-user audit took 13.4-15.7 s on the loops
/// and 10.8-12.9 s on Swift's own pool (same CPU budget, 2 cores). And `serve` keeps Swift's
/// pool: on the loops, a server out of descriptors crashed in libdispatch's pool monitor.
public enum ExecutorChoice {
    /// `true` when the AWS backend is selected: `--backend aws` (or `=aws`), else
    /// `USERVAULT_BACKEND=aws`, else a Lambda environment without `USERVAULT_BACKEND`; never for
    /// `serve`. A job file's own backend is not seen here; such runs keep Swift's pool.
    public static func usesEventLoops(arguments: [String], environment: [String: String]) -> Bool {
        if arguments.contains("serve") { return false }
        var explicit: String?
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { break }
            if argument == "--backend", index + 1 < arguments.count {
                explicit = arguments[index + 1]
            } else if argument.hasPrefix("--backend=") {
                explicit = String(argument.dropFirst("--backend=".count))
            }
        }
        if let explicit { return explicit == "aws" }
        if let backend = environment["USERVAULT_BACKEND"], !backend.isEmpty { return backend == "aws" }
        return environment["AWS_LAMBDA_RUNTIME_API"] != nil
    }
}
