import Foundation
@testable import JobExecution

/// Job files (``JobDefinition``, `jobs/*.json`, `uservault run`): decoded, turned into the typed
/// job they name and into the command line `run --dry-run` shows.
///
/// Input: the file's bytes.
///
/// Checks: only ``JobDefinition/Invalid`` is thrown by decoding, by the typed request, by its
/// metrics settings and by the command line; a definition written back as JSON decodes to the
/// same definition.
enum JobFileHarness {
    static let target = FuzzTarget("job-file", "job files: decoded, made a typed job and a command line", sync: check)

    /// A fixed run time, so that `{date}` is the same in every run.
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    static func check(_ input: [UInt8], _ workspace: FuzzWorkspace) throws {
        let definition: JobDefinition
        do {
            definition = try JobDefinition.decode(Data(input), source: "job.json")
        } catch is JobDefinition.Invalid {
            return
        } catch {
            throw InvariantViolation.untyped(error, expected: "JobDefinition.Invalid")
        }
        try use(definition)
        try roundTrip(definition)
    }

    /// What `run` does with a definition before anything runs; none of it reads a file (no resume).
    static func use(_ definition: JobDefinition) throws {
        for step in [{ _ = try definition.request(now: now, resume: false) },
                     { _ = try definition.metrics(now: now) },
                     { _ = try definition.commandLine(now: now, resume: false) }] {
            do {
                try step()
            } catch is JobDefinition.Invalid {
                continue
            } catch {
                throw InvariantViolation.untyped(error, expected: "JobDefinition.Invalid")
            }
        }
    }

    static func roundTrip(_ definition: JobDefinition) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let written: Data
        do {
            written = try encoder.encode(definition)
        } catch {
            throw InvariantViolation("a definition read could not be written: \(error)")
        }
        let again: JobDefinition
        do {
            again = try JobDefinition.decode(written, source: "job.json")
        } catch {
            throw InvariantViolation("a definition written could not be read again: \(error)")
        }
        guard (try? encoder.encode(again)) == written else {
            throw InvariantViolation("a definition changed when written and read: \(String(decoding: written, as: UTF8.self))")
        }
    }
}
