import Foundation

/// A scratch folder on the package's own disk (under `.build/`), for the sections whose figures
/// depend on writing files: on this machine a file written under /tmp cost about ten times more
/// than on /work (128 MB: 270 ms against 28 ms; creating a file 0.7 ms against 20 µs), which a
/// work or out directory would not see. Removed by the caller.
func packageScratch(_ label: String, near loom: String) throws -> (root: URL, scratch: String) {
    var root = URL(fileURLWithPath: loom).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) && root.path != "/" {
        root = root.deletingLastPathComponent()
    }
    let scratch = root.appendingPathComponent(".build/loom-bench-\(label)-\(getpid())").path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    return (root, scratch)
}
