import Foundation

/// `--metrics`: how a job's metrics are written.
public enum MetricsFormat: String, SettingChoice, Sendable {
    case none
    /// CloudWatch Embedded Metric Format: one JSON object per line.
    case emf
}

/// Where a job's metrics go (`--metrics`, `--metrics-file`, or a job file's `metrics`, `metrics-file`).
public struct MetricsSettings: Sendable, Equatable {
    public var format: MetricsFormat = .none
    /// The file the lines are appended to; `nil`: stdout.
    public var file: String?

    /// `--metrics-file` alone means EMF.
    public init(format: MetricsFormat? = nil, file: String? = nil) {
        self.format = format ?? (file == nil ? .none : .emf)
        self.file = file
    }

    /// Checked before the job runs: the file is absent in an existing folder (it will be
    /// created), or a regular file that is empty or already holds EMF lines (its first line a JSON
    /// object with `_aws`). Anything else is someone else's file, and stays untouched.
    public func validate() throws {
        guard let file else { return }
        let url = URL(fileURLWithPath: file)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            guard FileManager.default.fileExists(atPath: url.deletingLastPathComponent().path, isDirectory: &isDirectory),
                  isDirectory.boolValue
            else { throw InvalidSetting(description: "--metrics-file \(file): its folder does not exist") }
            return
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: file)
        guard !isDirectory.boolValue, attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw InvalidSetting(description: "--metrics-file \(file) is not a regular file")
        }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw InvalidSetting(description: "--metrics-file \(file) cannot be read")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64 * 1024)) ?? Data()
        guard let firstLine = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first,
              !firstLine.isEmpty else { return }
        guard let object = try? JSONSerialization.jsonObject(with: Data(firstLine)) as? [String: Any], object["_aws"] != nil else {
            throw InvalidSetting(description: "--metrics-file \(file) holds something other than EMF lines: not appending to it")
        }
    }
}

extension ParameterReader {
    /// A job file's `metrics` and `metrics-file`.
    mutating func metrics() throws -> MetricsSettings {
        MetricsSettings(format: try choice("metrics"), file: try string("metrics-file"))
    }
}

extension JobDefinition {
    /// The metrics its `params` ask for (`"metrics": "emf"`, `"metrics-file": "path"`).
    public func metrics(now: Date = Date()) throws -> MetricsSettings {
        var reader = ParameterReader(params ?? [:], stamp: Self.stamp(now))
        do {
            return try reader.metrics()
        } catch let error as InvalidSetting {
            throw Invalid(description: error.description)
        }
    }
}
