import Foundation

/// Runs `loom-stage-probe` (built beside the test binary) as a child process.
public final class ProbeProcess: @unchecked Sendable {
    // @unchecked: the Process is only driven from the test that owns this value.
    public let process = Process()
    private let errorPipe = Pipe()

    public static var executable: URL {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        // On some platforms the test binary sits inside a bundle (…/X.xctest/Contents/MacOS).
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("loom-stage-probe").path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("loom-stage-probe")
    }

    public init(arguments: [String], environment: [String: String] = [:]) {
        process.executableURL = ProbeProcess.executable
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
    }

    public func start() throws { try process.run() }

    /// Blocks until the child printed `line` on stderr (or exited, or the deadline passed).
    public func waitForStderr(containing line: String, timeout: TimeInterval = 60) -> Bool {
        let handle = errorPipe.fileHandleForReading
        var seen = ""
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { return seen.contains(line) }
            seen += String(decoding: chunk, as: UTF8.self)
            if seen.contains(line) { return true }
        }
        return false
    }

    /// Runs to completion and returns (exit status, stderr).
    public func runToEnd() throws -> (Int32, String) {
        try process.run()
        let data = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
