import Foundation

/// Errors a Loom command reports to its user. Each case names what to look at (file, key, pid)
/// and maps to one sysexits status, so cron jobs and CI can tell "retry later" from "fix input".
public enum LoomError: Error, CustomStringConvertible, Sendable {
    /// A bad flag or pipeline setting; `key` is the offending key path, `file` the pipeline file.
    case usage(String, file: String? = nil, key: String? = nil)
    /// An input file or directory that does not exist or cannot be read.
    case inputMissing(path: String, reason: String)
    /// Input that cannot be read as what it claims to be (a corrupt gzip stream), at a position.
    case badInput(path: String, position: String?, reason: String)
    /// A stage rejected more records than its `max_reject_ratio` allows.
    case rejectedBeyondRatio(stage: String, rejected: Int, records: Int, ratio: Double, limit: Double, detail: String)
    /// The output (or its temporary file) cannot be created or renamed into place.
    case cannotCreateOutput(path: String, reason: String)
    /// Another process holds the work directory's lock.
    case locked(path: String, holderPID: Int32?)
    /// A shard task that a `loom run --shards` started failed with `status` (its own exit
    /// status, or nil when it was killed or its status is unknown); `log` holds its output.
    case shardTaskFailed(task: String, status: Int32?, log: String)
    /// A bug or an impossible state; the message says where.
    case internalError(String)

    public var exitStatus: ExitStatus {
        switch self {
        case .usage: .usage
        case .inputMissing: .inputMissing
        case .badInput: .dataRejected
        case .rejectedBeyondRatio: .dataRejected
        case .cannotCreateOutput: .cannotCreateOutput
        case .locked: .locked
        case .shardTaskFailed(_, let status, _):
            // The task's own data, input and output errors are the run's; anything else
            // (killed, locked, crashed) is an internal failure of the run.
            status.flatMap(ExitStatus.init(rawValue:)).flatMap { [.dataRejected, .inputMissing, .cannotCreateOutput].contains($0) ? $0 : nil }
                ?? .internalError
        case .internalError: .internalError
        }
    }

    public var description: String {
        switch self {
        case let .usage(message, file, key):
            var where_ = ""
            if let file { where_ += "\(file): " }
            if let key { where_ += "key '\(key)': " }
            return "usage error: \(where_)\(message)"
        case let .inputMissing(path, reason):
            return "input missing: \(path): \(reason)"
        case let .badInput(path, position, reason):
            return "bad input: \(path)\(position.map { ", \($0)" } ?? ""): \(reason)"
        case let .rejectedBeyondRatio(stage, rejected, records, ratio, limit, detail):
            let shown = String(format: "%.4f", ratio)
            return "stage \(stage): \(rejected) of \(records) records rejected (ratio \(shown) > max_reject_ratio \(limit)); \(detail)"
        case let .cannotCreateOutput(path, reason):
            return "cannot create output \(path): \(reason)"
        case let .locked(path, pid):
            let holder = pid.map { "process \($0)" } ?? "another process"
            return "\(path) is locked by \(holder); another run is using this work directory, retry later"
        case let .shardTaskFailed(task, status, log):
            return "\(task) failed (\(status.map { "exit status \($0)" } ?? "killed or unknown exit status")); its output: \(log)"
        case let .internalError(message):
            return "internal error: \(message)"
        }
    }
}
