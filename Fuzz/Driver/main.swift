// `uservault-fuzz`: libFuzzer's entry points around one harness of FuzzHarnesses, the one named
// by FUZZ_TARGET. Built only by `make fuzz` (Fuzz/run.sh): libFuzzer brings its own `main`, so
// this file's top-level code never runs, and the package declares this target only when
// USERVAULT_FUZZ=1.
import Foundation
import FuzzHarnesses

enum Driver {
    static let target: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget.named(name) else {
            let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("uservault-fuzz: FUZZ_TARGET must be one of \(names) (got '\(name)')\n".utf8))
            exit(2)
        }
        return target
    }()

    static let workspace: FuzzWorkspace = {
        do {
            return try FuzzWorkspace()
        } catch {
            FileHandle.standardError.write(Data("uservault-fuzz: no workspace: \(error)\n".utf8))
            exit(2)
        }
    }()
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    _ = Driver.target
    _ = Driver.workspace
    atexit { Driver.workspace.remove() }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try Driver.target.checkBlocking(input, in: Driver.workspace)
    } catch {
        fatalError("\(Driver.target.name): \(error)")
    }
    return 0
}
