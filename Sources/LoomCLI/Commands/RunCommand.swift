import ArgumentParser
import Foundation
import LoomCore
import LoomFormats
import LoomReport

/// `loom run Pipelines/X.yaml`: runs the pipeline's stages in order, skipping fresh ones.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a pipeline file, skipping stages whose inputs and settings are unchanged.")

    @Argument(help: "The pipeline file (Pipelines/*.yaml).")
    var pipeline: String

    @Option(help: "Start at this stage (earlier ones are left as they are).")
    var from: String?

    @Option(help: "Run only this stage.")
    var only: String?

    @Flag(help: "Run the selected stages even when they are fresh.")
    var force = false

    @Flag(help: "Say what would run and why, and change nothing.")
    var dryRun = false

    @Flag(help: "Retrain when train is stale, even if its retrain_every_days has not passed.")
    var retrain = false

    @Option(help: "Run each shardable stage (ingest, images, text, features, embed, index) as this many shards, merged before the next stage.")
    var shards: Int = 1

    @Option(help: "Where the work runs: local (this process, shards as processes of this machine), slurm (a chain of sbatch jobs; --dry-run prints their scripts) or kubernetes (manifests written to --emit DIR).")
    var executor: ExecutorKind = .local

    @Option(help: "With --executor kubernetes: the directory to write the manifests and apply.sh to.")
    var emit: String?

    @OptionGroup var global: GlobalOptions

    enum ExecutorKind: String, ExpressibleByArgument, CaseIterable {
        case local
        case slurm
        case kubernetes
    }

    func validate() throws {
        guard shards >= 1 else { throw ValidationError("--shards must be at least 1") }
        guard shards == 1 || global.shard.isWhole else { throw ValidationError("--shards runs the whole pipeline; it does not combine with --shard") }
        guard (executor == .kubernetes) == (emit != nil) else {
            throw ValidationError("--executor kubernetes writes manifests: give --emit DIR (and --emit only with it)")
        }
    }

    func run() throws {
        try requiringVectorUnits {
            let file = try PipelineFile(path: pipeline)
            let context = try global.context(work: file.work, out: file.out, pipelineSeed: file.seed, pipelineThreads: file.threads)
            let runner = try PipelineRunner(pipeline: file, stages: StageCatalog.all, context: context)
            if executor == .slurm {
                try runOnSlurm(file, runner: runner, context: context)
                return
            }
            if executor == .kubernetes, let emit {
                try emitKubernetes(file, runner: runner, context: context, to: emit)
                return
            }
            let threads = context.threads > 0 ? context.threads : ProcessInfo.processInfo.activeProcessorCount
            let executor = LocalShardExecutor(
                executable: Self.executablePath, arguments: ["run", pipeline, "--no-progress"] + forwardedFlags,
                threads: threads, logDirectory: context.workPath("logs"))
            let options = PipelineRunner.Options(from: from, only: only, force: force, dryRun: dryRun, retrain: retrain,
                                                 shards: shards, executor: executor)
            let steps: [PipelineRunner.Step]
            do {
                steps = try runner.run(options) { line in
                    print(line)
                }
            } catch {
                // The failed run is the one whose rejects people need to see.
                if !dryRun, context.shard.isWhole { writeReport(context, ran: nil) }
                throw error
            }
            let ran = steps.filter(\.ran).count
            let skipped = steps.filter { !$0.ran && !$0.freshness.mustRun }.count
            let kept = steps.filter { !$0.ran && $0.freshness.mustRun && !dryRun }.count
            print("pipeline \(pipeline): \(ran) ran, \(skipped) skipped\(kept > 0 ? ", \(kept) kept stale" : "")\(dryRun ? " (dry run)" : "")")
            if !dryRun, context.shard.isWhole {
                writeReport(context, ran: Set(steps.filter(\.ran).map(\.stage)))
            }
        }
    }

    /// The run's HTML report in the out directory. The outputs are what the run is for: a report
    /// that cannot be written is a warning, not a failed run.
    func writeReport(_ context: StageContext, ran: Set<String>?) {
        let page = (context.outDirectory as NSString).appendingPathComponent("report.html")
        do {
            let report = try RunReport.gather(workDirectory: context.workDirectory,
                                              indexPath: (context.outDirectory as NSString).appendingPathComponent(StageOutputFile.index.fileName),
                                              ran: ran, seed: context.seed, threads: context.threads)
            try RunReportPage.write(report, to: page)
            print("report: \(page)")
        } catch {
            FileHandle.standardError.write(Data("loom: warning: the run's report was not written: \(error)\n".utf8))
        }
    }

    /// Submits the stages that must run as a chain of Slurm jobs and waits for them (or, with
    /// --dry-run, prints the batch scripts).
    func runOnSlurm(_ file: PipelineFile, runner: PipelineRunner, context: StageContext) throws {
        let lock = dryRun ? nil : try WorkLock(workDirectory: context.workDirectory)
        defer { lock?.release() }
        let plan = try runner.run(PipelineRunner.Options(from: from, only: only, force: force, dryRun: true, retrain: retrain)) { line in
            if !line.contains(": would run") { print(line) }
        }
        let stages = runner.stages.filter { stage in plan.contains { $0.stage == stage.name && $0.wouldRun } }
            .map { (name: $0.name, shardable: $0.shardable) }
        let slurm = SlurmPipelineRun(
            pipelinePath: Self.absolute(pipeline), loom: Self.executablePath, workDirectory: Self.absolute(context.workDirectory),
            outDirectory: Self.absolute(context.outDirectory), directory: FileManager.default.currentDirectoryPath, shards: shards,
            settings: file.slurm, force: force, arguments: forwardedFlags + (retrain ? ["--retrain"] : []))
        let jobs = slurm.jobs(for: stages)
        if dryRun {
            print(slurm.describe(jobs), terminator: "")
            print("pipeline \(pipeline): \(jobs.count) Slurm jobs for \(stages.count) stages (dry run, nothing submitted)")
            return
        }
        try slurm.run(jobs) { print($0) }
        for stage in stages {
            let path = context.workPath("reports/\(stage.name).json")
            if let data = FileManager.default.contents(atPath: path), let report = try? JSONDecoder().decode(StageReport.self, from: data) {
                print(report.summaryLine)
            }
        }
        print("pipeline \(pipeline): \(stages.count) ran as \(jobs.count) Slurm jobs, \(plan.count - stages.count) skipped")
        writeReport(context, ran: Set(stages.map(\.name)))
    }

    /// Writes the pipeline's stages (those `--from`/`--only` select) as Kubernetes manifests.
    func emitKubernetes(_ file: PipelineFile, runner: PipelineRunner, context: StageContext, to directory: String) throws {
        let stages = runner.selected(from: from, only: only).map { (name: $0.name, shardable: $0.shardable) }
        let mountPath = file.kubernetes.mountPath ?? FileManager.default.currentDirectoryPath
        // What the pods write must lie on the volume, or it is lost with the pod.
        for (name, path) in [("the work directory", context.workDirectory), ("the out directory", context.outDirectory)] {
            let absolute = Self.absolute(path)
            guard absolute == mountPath || absolute.hasPrefix(mountPath.hasSuffix("/") ? mountPath : mountPath + "/") else {
                throw LoomError.usage("\(name) \(absolute) is not under the volume's mount path \(mountPath) (set kubernetes.mount_path)",
                                      file: file.path, key: "kubernetes.mount_path")
            }
        }
        let manifests = KubernetesManifests(
            pipelinePath: pipeline, workDirectory: context.workDirectory, outDirectory: context.outDirectory,
            mountPath: mountPath, shards: shards, settings: file.kubernetes,
            environment: ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("LOOM_") && $0.key != WorkLock.heldByRunVariable },
            arguments: forwardedFlags + (force ? ["--force"] : []) + (retrain ? ["--retrain"] : [])
                + (file.kubernetes.cpus.map { ["--threads", String($0)] } ?? []))
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (name, text) in try manifests.files(for: stages) {
                let path = (directory as NSString).appendingPathComponent(name)
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                if name.hasSuffix(".sh") { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
            }
        } catch let error as LoomError {
            throw error
        } catch {
            throw LoomError.cannotCreateOutput(path: directory, reason: "\(error)")
        }
        print("pipeline \(pipeline): \(stages.count) stages as Kubernetes Jobs in \(directory) (apply with \(directory)/apply.sh)")
    }

    /// The flags of this command that every task it starts (process, job, pod) takes too.
    var forwardedFlags: [String] {
        ["--log-level", global.logLevel.rawValue] + (global.seed.map { ["--seed", String($0)] } ?? [])
    }

    /// `path` from the directory loom was started in.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }

    /// This loom executable, which the shard tasks run.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
