import Foundation

/// A pipeline file's `slurm:` mapping: the `sbatch` options of every job `loom run --executor
/// slurm` submits (`partition`, `time`, `cpus_per_task`, and any further `options`, verbatim).
public struct SlurmSettings: Sendable, Equatable {
    public var partition: String?
    public var time: String?
    public var cpusPerTask: Int?
    public var options: [String] = []

    public static let keys: Set<String> = ["partition", "time", "cpus_per_task", "options"]

    public init() {}

    init(_ raw: Any, file: String, line: Int) throws {
        func usage(_ message: String, key: String = "slurm") -> LoomError {
            .usage("\(message) at line \(line)", file: file, key: key)
        }
        guard let mapping = raw as? [String: Any] else { throw usage("expected a mapping of sbatch options") }
        for key in mapping.keys.sorted() where !SlurmSettings.keys.contains(key) {
            throw usage("unknown key (expected one of \(SlurmSettings.keys.sorted().joined(separator: ", ")))", key: "slurm.\(key)")
        }
        if let value = mapping["partition"] {
            guard let text = value as? String else { throw usage("expected a string", key: "slurm.partition") }
            partition = text
        }
        if let value = mapping["time"] {
            guard let text = value as? String else { throw usage("expected a string such as \"02:00:00\"", key: "slurm.time") }
            time = text
        }
        if let value = mapping["cpus_per_task"] {
            guard let number = value as? Int, number >= 1 else { throw usage("expected a positive integer", key: "slurm.cpus_per_task") }
            cpusPerTask = number
        }
        if let value = mapping["options"] {
            guard let list = value as? [String] else { throw usage("expected a list of sbatch options", key: "slurm.options") }
            options = list
        }
    }

    /// The `#SBATCH` lines these settings give.
    var directives: [String] {
        var lines: [String] = []
        if let partition { lines.append("--partition=\(partition)") }
        if let time { lines.append("--time=\(time)") }
        if let cpusPerTask { lines.append("--cpus-per-task=\(cpusPerTask)") }
        return (lines + options).map { "#SBATCH \($0)" }
    }
}
