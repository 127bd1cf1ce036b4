import Foundation

/// Folders for what the jobs write — reports, export staging, checkpoints, the embedded store —
/// made mode 0700 whatever the umask, since what goes in them names users.
///
/// ```swift
/// try PrivateDirectory.create(at: reportFolder)   // reports/audit/<stamp>-<run>, each new level 0700
/// ```
/// - Warning: Only the folders it makes are set to 0700; an existing folder (`reports/`, `/tmp`)
///   keeps its mode, since it is not this program's to change.
public enum PrivateDirectory {
    /// Makes `url` and any missing parent, each new one mode 0700 (mkdir, then chmod: the
    /// umask cannot widen or narrow it). An existing directory is left as it is.
    public static func create(at url: URL) throws {
        var missing: [URL] = []
        var cursor = url.standardizedFileURL
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: cursor.path, isDirectory: &isDirectory) {
            missing.append(cursor)
            let parent = cursor.deletingLastPathComponent()
            if parent.path == cursor.path { break }
            cursor = parent
        }
        for folder in missing.reversed() {
            if mkdir(folder.path, 0o700) != 0 && errno != EEXIST {
                throw CocoaError(.fileWriteUnknown, userInfo: [
                    NSFilePathErrorKey: folder.path,
                    NSLocalizedDescriptionKey: "cannot create the folder \(folder.path): \(String(cString: strerror(errno)))",
                ])
            }
            chmod(folder.path, 0o700)
        }
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSFilePathErrorKey: url.path, NSLocalizedDescriptionKey: "\(url.path) is not a folder",
            ])
        }
    }

    /// ``create(at:)`` for a path.
    public static func create(atPath path: String) throws {
        try create(at: URL(fileURLWithPath: path))
    }
}
