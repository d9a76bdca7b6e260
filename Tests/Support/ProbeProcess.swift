import Foundation

/// Runs an executable of this package (built beside the test binary) as a child process:
/// `loom-stage-probe` by default, or `loom` and `loom-<stage>`.
public final class ProbeProcess: @unchecked Sendable {
    // @unchecked: the Process is only driven from the test that owns this value.
    public let process = Process()
    private let errorPipe = Pipe()

    /// The executable `name` of this package, or the file at `name` when it is an absolute path.
    public static func executable(_ name: String) -> URL {
        if name.hasPrefix("/") { return URL(fileURLWithPath: name) }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        // On some platforms the test binary sits inside a bundle (…/X.xctest/Contents/MacOS).
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent(name)
    }

    public init(_ executable: String = "loom-stage-probe", arguments: [String], environment: [String: String] = [:],
                directory: String? = nil) {
        process.executableURL = ProbeProcess.executable(executable)
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardError = errorPipe
        process.standardOutput = outputPipe
    }

    private let outputPipe = Pipe()

    /// Runs to completion, with `input` on stdin, and returns (exit status, stdout, stderr).
    public func runCapturingOutput(input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let inputPipe = Pipe()
        if input != nil { process.standardInput = inputPipe }
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try inputPipe.fileHandleForWriting.close()
        }
        let output = BackgroundRead(outputPipe.fileHandleForReading)
        let error = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output.text(), String(decoding: error, as: UTF8.self))
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
        let result = try runCapturingOutput()
        return (result.status, result.stderr)
    }

    /// What the child wrote on stderr after `waitForStderr` returned, to its end (call once it exited).
    public func remainingStderr() -> String {
        String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Drains a pipe on another thread so a chatty child never blocks on a full pipe.
final class BackgroundRead: @unchecked Sendable {
    // @unchecked: `data` is written once before `done` is signalled and read after waiting on it.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
