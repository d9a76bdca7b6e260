import Foundation

/// `loom run PIPELINE --shards n --executor slurm`: the stages that must run become a chain of
/// Slurm jobs, each starting when the one before it succeeded (`--dependency=afterok`, and
/// `--kill-on-invalid-dep` so nothing waits on a failed job): a shardable stage is a job array
/// of n tasks (`loom run PIPELINE --only STAGE --shard $SLURM_ARRAY_TASK_ID/n`) and a merge job
/// (`loom merge`), any other stage one job (`loom run PIPELINE --only STAGE`). The submitting run
/// holds the work directory and waits; each job writes its exit status to
/// `work/slurm/status/` itself (a cluster without accounting has no `sacct`), and the first job
/// that failed, or never wrote its status (killed, timed out), ends the run with its own exit
/// status (65, 66, 73; 70 otherwise), naming the job and its log. The work directory, the
/// pipeline and the loom executable must be on a filesystem every node sees.
public struct SlurmPipelineRun: Sendable {
    public var pipelinePath: String
    /// The loom executable the jobs run.
    public var loom: String
    public var workDirectory: String
    public var outDirectory: String
    /// The directory the jobs start in (relative paths of the pipeline are relative to it).
    public var directory: String
    public var shards: Int
    public var settings: SlurmSettings
    public var force: Bool
    /// Flags every job's loom takes (`--log-level`, `--seed`).
    public var arguments: [String]
    /// How often the queue is looked at while jobs run.
    public var pollInterval: Double = 1

    public init(pipelinePath: String, loom: String, workDirectory: String, outDirectory: String, directory: String,
                shards: Int, settings: SlurmSettings, force: Bool, arguments: [String]) {
        self.pipelinePath = pipelinePath
        self.loom = loom
        self.workDirectory = workDirectory
        self.outDirectory = outDirectory
        self.directory = directory
        self.shards = shards
        self.settings = settings
        self.force = force
        self.arguments = arguments
    }

    /// One job of the chain.
    public struct Job: Sendable {
        public enum Kind: Sendable, Equatable {
            case whole
            case shards(Int)
            case merge(Int)

            var isMerge: Bool {
                if case .merge = self { return true }
                return false
            }

            /// Tasks of the job: a job array's shards, else 1.
            var tasks: Int {
                if case .shards(let count) = self { return count }
                return 1
            }
        }
        public var stage: String
        public var kind: Kind
        public var script: String
        public var id: String?

        /// The name under which the job's task `index` records its status and log.
        func taskName(_ index: Int) -> String {
            switch kind {
            case .whole: stage
            case .shards(let count): "\(stage).shard-\(index)-of-\(count)"
            case .merge: "\(stage).merge"
            }
        }

        var tasks: Int { kind.tasks }
    }

    var slurmDirectory: String { (workDirectory as NSString).appendingPathComponent("slurm") }
    var statusDirectory: String { (slurmDirectory as NSString).appendingPathComponent("status") }
    var logDirectory: String { (slurmDirectory as NSString).appendingPathComponent("logs") }
    /// The log directory in an `--output` pattern, where `%` is Slurm's.
    var logPattern: String { logDirectory.replacingOccurrences(of: "%", with: "%%") }

    /// The jobs for `stages` (name, and whether it runs as shards), in order.
    public func jobs(for stages: [(name: String, shardable: Bool)]) -> [Job] {
        stages.flatMap { stage -> [Job] in
            guard stage.shardable, shards > 1 else { return [job(stage.name, .whole)] }
            return [job(stage.name, .shards(shards)), job(stage.name, .merge(shards))]
        }
    }

    func job(_ stage: String, _ kind: Job.Kind) -> Job {
        let q = Self.quoted
        var lines = ["#!/bin/bash", "#SBATCH --job-name=loom-\(stage)\(kind.isMerge ? "-merge" : "")"]
        let command: [String]
        let status: String
        lines.append("#SBATCH --output=\(logPattern)/\(Self.logName(stage, kind, job: kind.tasks > 1 ? "%A" : "%j", task: "%a"))")
        switch kind {
        case .whole:
            command = [q(loom), "run", q(pipelinePath), "--only", stage, "--threads", "\"${SLURM_CPUS_PER_TASK:-0}\""]
            status = q("\(statusDirectory)/\(stage)")
        case .shards(let count):
            lines.append("#SBATCH --array=0-\(count - 1)")
            command = [q(loom), "run", q(pipelinePath), "--only", stage, "--shard", "\"${SLURM_ARRAY_TASK_ID}/\(count)\"",
                       "--threads", "\"${SLURM_CPUS_PER_TASK:-0}\""]
            status = q("\(statusDirectory)/\(stage).shard-") + "\"${SLURM_ARRAY_TASK_ID}\"" + q("-of-\(count)")
        case .merge(let count):
            command = [q(loom), "merge", "--work", q(workDirectory), "--out", q(outDirectory), "--stage", stage, "--shards", String(count)]
            status = q("\(statusDirectory)/\(stage).merge")
        }
        lines += ["#SBATCH --export=ALL", "#SBATCH --kill-on-invalid-dep=yes"] + settings.directives
        lines += [
            "# Loom \(LoomVersion.current): \(kind.isMerge ? "merge of stage \(stage)" : "stage \(stage)"). "
                + "The work directory must be on a filesystem every node sees.",
            "cd \(q(directory)) || { echo 66 > \(status); exit 66; }",
            // The submitting `loom run` holds the work directory for its jobs.
            "export \(WorkLock.heldByRunVariable)=slurm",
            (command + (kind.isMerge ? [] : arguments.map(q) + ["--no-progress"] + (force ? ["--force"] : []))).joined(separator: " "),
            "status=$?",
            "echo \"$status\" > \(status)",
            "exit \"$status\"",
        ]
        return Job(stage: stage, kind: kind, script: lines.joined(separator: "\n") + "\n")
    }

    /// A job's log file name: of `job` (its id, or Slurm's `%j`/`%A`) and, in an array, `task`.
    static func logName(_ stage: String, _ kind: Job.Kind, job: String, task: String) -> String {
        switch kind {
        case .whole: "\(stage)-\(job).log"
        case .shards: "\(stage)-\(job)_\(task).log"
        case .merge: "\(stage)-merge-\(job).log"
        }
    }

    /// What `--dry-run` prints: each job's script, with how it would be submitted.
    public func describe(_ jobs: [Job]) -> String {
        jobs.enumerated().map { index, job in
            let dependency = index == 0 ? "" : " --dependency=afterok:<job \(index)>"
            return "# job \(index + 1): sbatch --parsable\(index == 0 ? " --hold" : dependency) \(scriptPath(index, job))\n\(job.script)"
        }.joined(separator: "\n")
    }

    func scriptPath(_ index: Int, _ job: Job) -> String {
        (slurmDirectory as NSString).appendingPathComponent(String(format: "%02d-%@.sbatch", index + 1, job.taskName(0).replacingOccurrences(of: ".shard-0-of-\(shards)", with: "")))
    }

    /// Writes the scripts, submits the chain, waits for it, and checks every task's status.
    public func run(_ jobs: [Job], report: (String) -> Void) throws {
        let manager = FileManager.default
        do {
            try? manager.removeItem(atPath: statusDirectory)
            for folder in [statusDirectory, logDirectory] { try manager.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        } catch {
            throw LoomError.cannotCreateOutput(path: slurmDirectory, reason: "\(error)")
        }
        var submitted: [Job] = []
        // Interrupted, the jobs submitted so far are cancelled.
        var cancelling: Interruption.Token?
        defer { if let cancelling { Interruption.remove(cancelling) } }
        for (index, var job) in jobs.enumerated() {
            let path = scriptPath(index, job)
            guard manager.createFile(atPath: path, contents: Data(job.script.utf8)) else {
                throw LoomError.cannotCreateOutput(path: path, reason: "cannot write the batch script")
            }
            // The first job is held until the chain is submitted: a job that ended before the
            // next was submitted would make its `afterok` a "job dependency problem". Submitting
            // a job and registering its cancelling are one step for an interruption.
            let dependency = submitted.last?.id.map { ["--dependency=afterok:\($0)"] } ?? ["--hold"]
            try Interruption.critical {
                let result = try Self.command("sbatch", ["--parsable"] + dependency + [path])
                guard result.status == 0, let id = result.output.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }), !id.isEmpty else {
                    Self.cancel(submitted)
                    throw LoomError.shardTaskFailed(task: "sbatch \(path)", status: nil, log: result.error.trimmingCharacters(in: .whitespacesAndNewlines))
                }
                job.id = id
                submitted.append(job)
                if let cancelling { Interruption.remove(cancelling) }
                let chain = submitted
                cancelling = Interruption.onInterrupt { Self.cancel(chain) }
            }
            report("\(job.stage): submitted \(job.kind.isMerge ? "its merge" : job.tasks > 1 ? "\(job.tasks) shards" : "the stage") as Slurm job \(job.id ?? "?")")
        }
        if let first = submitted.first?.id {
            let release = try Self.command("scontrol", ["release", first])
            guard release.status == 0 else {
                Self.cancel(submitted)
                throw LoomError.shardTaskFailed(task: "scontrol release \(first)", status: nil,
                                                log: release.error.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        try waitForQueue(submitted.compactMap(\.id))
        for job in submitted {
            for task in 0..<job.tasks {
                let name = job.taskName(task)
                let recorded = try? String(contentsOfFile: (statusDirectory as NSString).appendingPathComponent(name), encoding: .utf8)
                let status = recorded.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                guard status != 0 else { continue }
                let id = job.id ?? "?"
                let log = "\(logDirectory)/\(Self.logName(job.stage, job.kind, job: id, task: String(task)))"
                let jobName = job.tasks > 1 ? "\(id)_\(task)" : id
                throw LoomError.shardTaskFailed(task: "Slurm job \(jobName) (\(name))", status: status,
                                                log: "\(log)\(LocalShardExecutor.lastLine(of: log).map { ": \($0)" } ?? "")")
            }
        }
    }

    /// Cancels the jobs submitted so far (a chain that could not be completed).
    static func cancel(_ jobs: [Job]) {
        let ids = jobs.compactMap(\.id)
        if !ids.isEmpty { _ = try? command("scancel", ids) }
    }

    /// Returns when none of `ids` is in the queue any longer. squeue refuses ids it has
    /// forgotten ("Invalid job id": all finished); any other error (a busy controller) is asked
    /// again, for up to a few minutes.
    func waitForQueue(_ ids: [String]) throws {
        guard !ids.isEmpty else { return }
        var failures = 0
        while true {
            let queue = try Self.command("squeue", ["-h", "-o", "%i", "--jobs=\(ids.joined(separator: ","))"])
            if queue.status == 0 {
                failures = 0
                if queue.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            } else if queue.error.contains("Invalid job id") {
                return
            } else {
                failures += 1
                guard failures < 180 else {
                    throw LoomError.shardTaskFailed(task: "squeue (jobs \(ids.joined(separator: ",")))", status: nil,
                                                    log: queue.error.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }

    /// Runs a Slurm command; a missing one is an input-missing error.
    static func command(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        do {
            try process.run()
        } catch {
            throw LoomError.inputMissing(path: name, reason: "cannot run Slurm's \(name): \(error)")
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 127 {
            throw LoomError.inputMissing(path: name, reason: "Slurm's \(name) is not installed here")
        }
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// `text` in single quotes for bash.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
