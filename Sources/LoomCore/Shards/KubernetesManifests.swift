import Foundation
import Yams

/// `loom run PIPELINE --shards n --executor kubernetes --emit DIR`: the pipeline as Kubernetes
/// manifests, applied in order by the `apply.sh` written beside them:
/// - `00-volume.yaml`, a ReadWriteMany PersistentVolumeClaim for the work directory, mounted in
///   every pod at `mountPath` (the pipeline, its inputs and its work and out directories lie on it);
/// - per shardable stage an Indexed Job (`completionMode: Indexed`, `completions: n`: each pod
///   runs `loom run PIPELINE --only STAGE --shard $JOB_COMPLETION_INDEX/n`) and a merge Job
///   (`loom merge`); per other stage one Job (`loom run PIPELINE --only STAGE`).
/// Each pod skips what is fresh, as `loom run` does, and takes the work directory's locks itself
/// (nothing holds them for it). Deterministic: the same pipeline and
/// settings give the same files.
public struct KubernetesManifests: Sendable {
    public var pipelinePath: String
    public var workDirectory: String
    public var outDirectory: String
    /// Where the volume is mounted in the pods (and the directory they start in).
    public var mountPath: String
    public var shards: Int
    public var settings: KubernetesSettings
    /// `LOOM_*` variables the pipeline expands, passed to every pod as they are here.
    public var environment: [String: String]
    /// Flags every pod's loom takes (`--log-level`, `--seed`, `--force`).
    public var arguments: [String]

    public init(pipelinePath: String, workDirectory: String, outDirectory: String, mountPath: String, shards: Int,
                settings: KubernetesSettings, environment: [String: String], arguments: [String]) {
        self.pipelinePath = pipelinePath
        self.workDirectory = workDirectory
        self.outDirectory = outDirectory
        self.mountPath = mountPath
        self.shards = shards
        self.settings = settings
        self.environment = environment
        self.arguments = arguments
    }

    /// The files to write, by name, in the order `apply.sh` applies them.
    public func files(for stages: [(name: String, shardable: Bool)]) throws -> [(name: String, text: String)] {
        var files = [(name: "00-volume.yaml", text: try Yams.dump(object: volumeClaim, sortKeys: true))]
        var jobs: [(name: String, manifest: String)] = []
        for stage in stages {
            let q = SlurmPipelineRun.quoted
            if stage.shardable, shards > 1 {
                let run = (["exec", "loom", "run", q(pipelinePath), "--only", stage.name, "--shard", "\"$JOB_COMPLETION_INDEX/\(shards)\""]
                    + arguments.map(q) + ["--no-progress"]).joined(separator: " ")
                jobs.append(("loom-\(stage.name)", try job("loom-\(stage.name)", completions: shards, command: run)))
                let merge = ["exec", "loom", "merge", "--work", q(workDirectory), "--out", q(outDirectory), "--stage", stage.name,
                             "--shards", String(shards)].joined(separator: " ")
                jobs.append(("loom-\(stage.name)-merge", try job("loom-\(stage.name)-merge", completions: 1, command: merge)))
            } else {
                let run = (["exec", "loom", "run", q(pipelinePath), "--only", stage.name] + arguments.map(q) + ["--no-progress"])
                    .joined(separator: " ")
                jobs.append(("loom-\(stage.name)", try job("loom-\(stage.name)", completions: 1, command: run)))
            }
        }
        for (index, job) in jobs.enumerated() {
            files.append((String(format: "%02d-%@.yaml", index + 1, job.name), job.manifest))
        }
        files.append(("apply.sh", applyScript(files: files.map(\.name), jobs: jobs.map(\.name))))
        return files
    }

    var volumeClaim: [String: Any] {
        [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": ["name": settings.volumeClaim, "labels": ["app": "loom"]],
            "spec": [
                "accessModes": ["ReadWriteMany"],
                "resources": ["requests": ["storage": settings.storage]],
            ] as [String: Any],
        ]
    }

    /// One Job: Indexed when it has more than one completion.
    func job(_ name: String, completions: Int, command: String) throws -> String {
        // No LOOM_WORK_LOCK_HELD: nothing holds the directory for the pods, so each takes its
        // own locks (a whole stage the directory, a shard its stage and shard).
        let env = environment.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
        var container: [String: Any] = [
            "name": "loom", "image": settings.image, "workingDir": mountPath,
            "command": ["/bin/sh", "-c", command], "env": env,
            "volumeMounts": [["name": "work", "mountPath": mountPath]],
        ]
        if let cpus = settings.cpus { container["resources"] = ["requests": ["cpu": String(cpus)]] }
        var spec: [String: Any] = [
            "completions": completions, "parallelism": completions, "backoffLimit": 0,
            "template": [
                "metadata": ["labels": ["app": "loom", "loom-job": name]],
                "spec": [
                    "restartPolicy": "Never", "containers": [container],
                    "volumes": [["name": "work", "persistentVolumeClaim": ["claimName": settings.volumeClaim]]],
                ] as [String: Any],
            ] as [String: Any],
        ]
        if completions > 1 { spec["completionMode"] = "Indexed" }
        let manifest: [String: Any] = [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": ["name": name, "labels": ["app": "loom"]], "spec": spec,
        ]
        return try Yams.dump(object: manifest, sortKeys: true)
    }

    /// Applies the claim, then each Job in order, waiting for it to complete.
    func applyScript(files: [String], jobs: [String]) -> String {
        var lines = [
            "#!/bin/sh",
            "# Written by loom run --executor kubernetes (Loom \(LoomVersion.current)): applies the manifests of this",
            "# directory in order; each Job starts when the one before it completed. A failed Job stops here:",
            "# look at `kubectl logs job/<name>` (a shard: `kubectl logs job/<name> --all-containers`, or its pods).",
            "set -eu",
            "cd \"$(dirname \"$0\")\"",
            "# Waits for a Job to complete; stops the chain when it failed instead.",
            "wait_job() {",
            "  while ! kubectl wait --for=condition=complete --timeout=30s \"job/$1\" >/dev/null 2>&1; do",
            "    if kubectl wait --for=condition=failed --timeout=1s \"job/$1\" >/dev/null 2>&1; then",
            "      echo \"apply.sh: job $1 failed; see kubectl logs job/$1\" >&2",
            "      exit 1",
            "    fi",
            "  done",
            "  echo \"apply.sh: job $1 complete\"",
            "}",
            "kubectl apply -f \(files[0])",
        ]
        for (file, job) in zip(files.dropFirst(), jobs) {
            lines.append("kubectl delete job \(job) --ignore-not-found")
            lines.append("kubectl apply -f \(file)")
            lines.append("wait_job \(job)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
