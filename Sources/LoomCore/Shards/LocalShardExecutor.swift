import Foundation

/// `--executor local`: the n shard tasks of a stage as n processes of this machine at once,
/// each with max(1, threads / n) threads; their output goes to `work/logs/<stage>.shard-i-of-n.log`.
public struct LocalShardExecutor: ShardExecutor {
    /// The loom executable and the arguments every task starts with (`run PIPELINE` and the
    /// global flags but `--threads` and `--shard`).
    public var executable: String
    public var arguments: [String]
    public var threads: Int
    public var logDirectory: String

    public init(executable: String, arguments: [String], threads: Int, logDirectory: String) {
        self.executable = executable
        self.arguments = arguments
        self.threads = threads
        self.logDirectory = logDirectory
    }

    public func runShards(stage: String, count: Int, force: Bool) throws {
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let each = max(1, threads / count)
        var environment = ProcessInfo.processInfo.environment
        environment[WorkLock.heldByRunVariable] = String(getpid())
        // Starting the tasks and registering their stop is one step for an interruption: it
        // stops every task that was started (each removes its temporary output).
        let (running, stopping) = try Interruption.critical {
            var running: [(shard: Shard, process: Process, log: String)] = []
            for index in 0..<count {
                let shard = try Shard(index: index, count: count)
                let log = (logDirectory as NSString).appendingPathComponent("\(stage).shard-\(index)-of-\(count).log")
                guard FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log) else {
                    for task in running { task.process.terminate() }
                    throw LoomError.cannotCreateOutput(path: log, reason: "cannot create the shard task's log")
                }
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments + ["--only", stage, "--shard", shard.description, "--threads", String(each)] + (force ? ["--force"] : [])
                process.environment = environment
                process.standardOutput = handle
                process.standardError = handle
                do {
                    try process.run()
                } catch {
                    for task in running { task.process.terminate() }
                    throw LoomError.cannotCreateOutput(path: executable, reason: "cannot start a shard task: \(error)")
                }
                try? handle.close()
                running.append((shard, process, log))
            }
            let pids = running.map { $0.process.processIdentifier }
            return (running, Interruption.onInterrupt { Interruption.stop(pids) })
        }
        defer { Interruption.remove(stopping) }
        var failure: LoomError?
        for task in running {
            task.process.waitUntilExit()
            guard failure == nil, task.process.terminationStatus != 0 || task.process.terminationReason != .exit else { continue }
            let status: Int32? = task.process.terminationReason == .exit ? task.process.terminationStatus : nil
            failure = .shardTaskFailed(task: "shard \(task.shard) of stage \(stage) (local process \(task.process.processIdentifier))",
                                       status: status, log: "\(task.log)\(Self.lastLine(of: task.log).map { ": \($0)" } ?? "")")
        }
        if let failure { throw failure }
    }

    /// The last line a task wrote (its error, when it failed).
    static func lastLine(of log: String) -> String? {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last.map(String.init)
    }
}
