import Foundation

/// A fresh directory under the system temporary folder, removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: `path` is immutable.
    public let path: String

    public init(_ label: String = "loom-test") {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
