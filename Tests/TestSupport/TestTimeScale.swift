import Foundation

/// How many times slower than a plain debug build this test run may be: `USERVAULT_TEST_TIME_SCALE`
/// (a whole number; `make sanitize` sets it, since ThreadSanitizer runs code 5–15 times slower),
/// else 1.
///
/// It widens bounds on waiting — how long a test waits for a child's line, an answer or a timeout
/// to fire before it calls it missing — and never a threshold a test asserts: a test that passes
/// at scale 1 checks the same behaviour at scale 10, only with more patience.
public let testTimeScale: Int = {
    guard let text = ProcessInfo.processInfo.environment["USERVAULT_TEST_TIME_SCALE"], let scale = Int(text), scale >= 1
    else { return 1 }
    return scale
}()

extension Duration {
    /// This bound on waiting, times ``testTimeScale``.
    public var scaledForTestRun: Duration { self * testTimeScale }
}

extension Int {
    /// This many polls (of a loop that waits for a condition), times ``testTimeScale``.
    public var scaledForTestRun: Int { self * testTimeScale }
}

/// The sanitizer the suite runs under (`make sanitize` sets `USERVAULT_SANITIZER` to `thread` or
/// `address`), else `nil`. A test that measures what a sanitizer distorts — peak memory (shadow
/// memory, ASan's quarantine), the pace of requests against a quota — is skipped then.
public let sanitizerRun: String? = ProcessInfo.processInfo.environment["USERVAULT_SANITIZER"].flatMap { $0.isEmpty ? nil : $0 }
