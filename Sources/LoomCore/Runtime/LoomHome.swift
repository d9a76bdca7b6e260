import Foundation

/// Where Loom's own files are — the bundled models (`Models/…`) and pipelines — so that every
/// command works from any directory: `LOOM_HOME` when set, else `../share/loom` beside the
/// executable (what `make install` lays out), else the source tree the executable was built
/// from, else the current directory. `loom --version` says which.
public enum LoomHome {
    public struct Location: Sendable, Equatable {
        public var path: String
        /// How it was found: "LOOM_HOME", "installed", "source tree" or "current directory".
        public var source: String
    }

    public static let variable = "LOOM_HOME"

    public static let current: Location = locate(environment: ProcessInfo.processInfo.environment, executable: executablePath)

    static func locate(environment: [String: String], executable: String?) -> Location {
        if let home = environment[variable], !home.isEmpty { return Location(path: home, source: variable) }
        let manager = FileManager.default
        if let executable {
            let installed = (((executable as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("../share/loom") as NSString).standardizingPath
            if manager.fileExists(atPath: installed + "/Models") { return Location(path: installed, source: "installed") }
        }
        // This file is Sources/LoomCore/Runtime/LoomHome.swift in the tree the executable was built from.
        let tree = ((#filePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("../../..")
        let source = (tree as NSString).standardizingPath
        if manager.fileExists(atPath: source + "/Models") { return Location(path: source, source: "source tree") }
        return Location(path: manager.currentDirectoryPath, source: "current directory")
    }

    /// The running executable, links resolved.
    static var executablePath: String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    /// A path as the user gave it when it names a file or directory from where it is read (or
    /// is absolute); else, when Loom's home has it (`Models/loomnet-v1`), the bundled one; else
    /// as given, for the error that names it.
    public static func resolve(_ path: String, home: Location = current) -> String {
        guard !path.isEmpty, !path.hasPrefix("/"), !FileManager.default.fileExists(atPath: path) else { return path }
        return bundled(path, home: home) ?? path
    }

    /// The home's file or folder at the relative `path` (`Models/loomnet-v1`), if the home has one.
    public static func bundled(_ path: String, home: Location = current) -> String? {
        let candidate = (home.path as NSString).appendingPathComponent(path)
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }

    /// "0.1.0 (home: /usr/local/share/loom, installed)": what `--version` prints.
    public static var versionLine: String { "\(LoomVersion.current) (home: \(current.path), \(current.source))" }
}
