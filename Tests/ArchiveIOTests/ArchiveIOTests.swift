import ArchiveIO
import Crypto
import Foundation
import Testing
import TestSupport

/// `ArchiveWriter` and `ArchiveReader` on real files: what the writer adds the reader gives back,
/// byte for byte, in every format; the writer's promises about the file (digest, size, mode,
/// exclusive creation); the reader's refusals (a decompression bomb, a truncated or corrupt file).
@Suite("ArchiveIO: the archive writer and reader")
struct ArchiveIOTests {
    /// Several entries: text, incompressible bytes, an empty file, nested paths (ASCII: see
    /// `nonASCIIPath`).
    static let entries: [(path: String, contents: [UInt8])] = [
        ("manifest.json", Array(#"{"parts":3}"#.utf8)),
        ("users/part-0-0-0.json", noise(200_000, seed: 1)),
        ("users/empty.json", []),
        ("users/deep/part-1-0-0.json", Array(String(repeating: "Grüße, ", count: 5_000).utf8)),
    ]

    /// `count` incompressible, reproducible bytes: SHA-256 of `seed` and a counter, block after block.
    static func noise(_ count: Int, seed: UInt8) -> [UInt8] {
        var bytes: [UInt8] = []
        var counter: UInt32 = 0
        while bytes.count < count {
            bytes += SHA256.hash(data: [seed] + withUnsafeBytes(of: counter) { Array($0) })
            counter += 1
        }
        return Array(bytes.prefix(count))
    }

    /// A fresh folder, removed after `body`.
    static func inFolder<Result>(_ body: (URL) throws -> Result) throws -> Result {
        let directory = try makeTemporaryDirectory("uservault-archive")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    /// Writes `entries` to `path` in `format`; returns what `finish()` reported.
    @discardableResult
    static func write(_ entries: [(path: String, contents: [UInt8])], to path: String,
                      format: ArchiveFormat) throws -> (sha256: SHA256.Digest, bytes: Int) {
        let writer = try ArchiveWriter(creating: path, format: format)
        for entry in entries { try writer.add(path: entry.path, contents: entry.contents) }
        return try writer.finish()
    }

    static func read(_ path: String) throws -> [(path: String, contents: [UInt8])] {
        var read: [(path: String, contents: [UInt8])] = []
        try ArchiveReader.forEachEntry(in: path) { read.append(($0, $1)) }
        return read
    }

    @Test("every format: the reader gives back each entry's path and exact bytes, in the order added", arguments: ArchiveFormat.allCases)
    func roundTrip(format: ArchiveFormat) throws {
        try Self.inFolder { directory in
            let path = directory.appendingPathComponent("users.\(format.rawValue)").path
            try Self.write(Self.entries, to: path, format: format)
            let read = try Self.read(path)
            #expect(read.map(\.path) == Self.entries.map(\.path))
            for (got, wrote) in zip(read, Self.entries) {
                #expect(got.contents == wrote.contents, "\(wrote.path): \(got.contents.count) bytes back for \(wrote.contents.count)")
            }
        }
    }

    @Test("every format: finish() reports the SHA-256 and size of the file on disk; the file is mode 0600", arguments: ArchiveFormat.allCases)
    func digestAndMode(format: ArchiveFormat) throws {
        try Self.inFolder { directory in
            let path = directory.appendingPathComponent("users.\(format.rawValue)").path
            let reported = try Self.write(Self.entries, to: path, format: format)
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(reported.sha256 == SHA256.hash(data: onDisk))
            #expect(reported.bytes == onDisk.count)
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            #expect(mode & 0o777 == 0o600, "mode \(String(mode, radix: 8))")
        }
    }

    @Test("every format: an entry with a non-ASCII path round-trips", .disabled("""
        crashes the process: in the C locale of the tests, libarchive's archive_write_header \
        dereferences NULL (strlen) for the UTF-8 path set by archive_entry_set_pathname_utf8 \
        (ArchiveWriter.add); export entry paths are ASCII today
        """), arguments: ArchiveFormat.allCases)
    func nonASCIIPath(format: ArchiveFormat) throws {
        try Self.inFolder { directory in
            let path = directory.appendingPathComponent("names.\(format.rawValue)").path
            try Self.write([("users/dossier-é/ü.json", [1, 2, 3])], to: path, format: format)
            #expect(try Self.read(path).map(\.path) == ["users/dossier-é/ü.json"])
        }
    }

    @Test("the formats are what they say: gzip, zstd and zip magic numbers")
    func formats() throws {
        try Self.inFolder { directory in
            let magic: [ArchiveFormat: [UInt8]] = [.tarGz: [0x1F, 0x8B], .tarZst: [0x28, 0xB5, 0x2F, 0xFD], .zip: [0x50, 0x4B, 0x03, 0x04]]
            for format in ArchiveFormat.allCases {
                let path = directory.appendingPathComponent("a.\(format.rawValue)").path
                try Self.write(Self.entries, to: path, format: format)
                let head = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(4))
                let expected = try #require(magic[format])
                #expect(Array(head.prefix(expected.count)) == expected, "\(format)")
            }
        }
    }

    @Test("the writer refuses a path that exists (exclusive creation) and leaves it as it was")
    func exclusive() throws {
        try Self.inFolder { directory in
            let path = directory.appendingPathComponent("taken.tar.gz").path
            let before = Data("someone else's file".utf8)
            try before.write(to: URL(fileURLWithPath: path))
            #expect(throws: ArchiveError.self) { _ = try ArchiveWriter(creating: path, format: .tarGz) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("finish() twice is an error, not a second close")
    func finishTwice() throws {
        try Self.inFolder { directory in
            let writer = try ArchiveWriter(creating: directory.appendingPathComponent("a.zip").path, format: .zip)
            try writer.add(path: "a", contents: [1, 2, 3])
            _ = try writer.finish()
            let error = #expect(throws: ArchiveError.self) { _ = try writer.finish() }
            #expect(error?.description.contains("already finished") == true, "\(String(describing: error))")
        }
    }

    @Test("an entry larger than the reader's limit (a decompression bomb) is refused with an error naming the entry")
    func bomb() throws {
        try Self.inFolder { directory in
            // One byte over the limit, of zeros: a few hundred kilobytes of zstd on disk.
            let path = directory.appendingPathComponent("bomb.tar.zst").path
            try Self.write([("small.json", Array("{}".utf8)),
                            ("users/bomb.json", [UInt8](repeating: 0, count: ArchiveReader.maximumEntryBytes + 1))],
                           to: path, format: .tarZst)
            var seen: [String] = []
            let error = #expect(throws: ArchiveError.self) {
                try ArchiveReader.forEachEntry(in: path) { name, _ in seen.append(name) }
            }
            #expect(error?.description.contains("users/bomb.json") == true, "\(String(describing: error))")
            #expect(error?.description.contains("larger than 512 MiB") == true, "\(String(describing: error))")
            #expect(seen == ["small.json"], "the entries before it were read; the bomb never reached the body")
        }
    }

    @Test("every format: a truncated archive is an error, not a crash", arguments: ArchiveFormat.allCases)
    func truncated(format: ArchiveFormat) throws {
        try Self.inFolder { directory in
            let path = directory.appendingPathComponent("cut.\(format.rawValue)").path
            try Self.write(Self.entries, to: path, format: format)
            let whole = try Data(contentsOf: URL(fileURLWithPath: path))
            // Cut inside the incompressible entry.
            try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
            #expect(throws: ArchiveError.self) { _ = try Self.read(path) }
        }
    }

    /// The reader promises no integrity check of its own (the export's `.sha256` and manifest
    /// are that): libarchive verifies each zip entry's CRC-32, but neither gzip's trailer CRC
    /// nor a zstd checksum (the writer adds none), so damage inside a tar's data comes back as
    /// other bytes.
    @Test("every format: an archive with bytes overwritten in the middle is an error or other bytes, never a crash nor the original; zip is an error", arguments: ArchiveFormat.allCases)
    func corrupt(format: ArchiveFormat) throws {
        try Self.inFolder { directory in
            let path = directory.appendingPathComponent("corrupt.\(format.rawValue)").path
            try Self.write(Self.entries, to: path, format: format)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            for index in (bytes.count / 3)..<(bytes.count / 3 + 64) { bytes[index] ^= 0xA5 }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let read = try Self.read(path)
                #expect(format != .zip, "zip checks each entry's CRC-32")
                #expect(read.map(\.contents) != Self.entries.map(\.contents), "the damage shows in the bytes read")
            } catch is ArchiveError {
                // Refused: what every format may do.
            }
        }
    }

    @Test("a file that is no archive and a missing file are errors naming the path")
    func notAnArchive() throws {
        try Self.inFolder { directory in
            let noise = directory.appendingPathComponent("noise.tar.gz")
            try Data(Self.noise(4096, seed: 7)).write(to: noise)
            let missing = directory.appendingPathComponent("missing.tar.zst")
            for url in [noise, missing] {
                let error = #expect(throws: ArchiveError.self) { _ = try Self.read(url.path) }
                #expect(error?.description.contains(url.path) == true, "\(String(describing: error))")
            }
        }
    }
}
