import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Locks on a work directory, so two runs never write the same outputs. Uses flock(2), which
/// the kernel drops when the holder dies, so a killed run never leaves a stale lock behind.
///
/// - `loom run` holds `<work>/.loom.lock` exclusively: a second run, or any stage command, waits
///   for nothing and exits 75.
/// - A stage command (or a shard task) holds `.loom.lock` shared and its own
///   `.loom.lock.<stage>[.shard-i-of-n]` exclusively: shards of one stage run side by side, a
///   second run of the same shard exits 75. The processes a `loom run` starts for its shards
///   (its local executor, its Slurm and Kubernetes tasks) find `LOOM_WORK_LOCK_HELD` set and take
///   only their stage lock, as the run holds the directory for them.
///
/// The exclusive holder's pid is written into its lock file for the error message of the next.
/// A stage lock's file is removed when it is released (a work directory that ran shards of every
/// stage would keep dozens of them otherwise); a process that opened it just before is told by
/// the file's inode that it locked a removed file, and tries again.
public final class WorkLock {
    public enum Scope: Sendable {
        /// The whole work directory (`loom run`).
        case directory
        /// One stage's output for one shard (`.whole`: the stage's whole output, or its merge).
        case stage(String, Shard)
    }

    /// The environment variable that tells a process its work directory is held by a `loom run`.
    public static let heldByRunVariable = "LOOM_WORK_LOCK_HELD"

    /// Whether a `loom run` that started this process holds the directory lock.
    public static var heldByRun: Bool { ProcessInfo.processInfo.environment[heldByRunVariable].map { !$0.isEmpty } ?? false }

    public let path: String
    private var held: [(descriptor: Int32, exclusive: Bool, removable: String?)] = []

    public init(workDirectory: String, scope: Scope = .directory) throws {
        let directoryLock = (workDirectory as NSString).appendingPathComponent(".loom.lock")
        do {
            try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        } catch {
            throw LoomError.cannotCreateOutput(path: workDirectory, reason: "\(error.localizedDescription)")
        }
        switch scope {
        case .directory:
            path = directoryLock
            try take(directoryLock, exclusive: true)
        case let .stage(stage, shard):
            path = directoryLock + "." + (shard.isWhole ? stage : "\(stage).shard-\(shard.index)-of-\(shard.count)")
            if !WorkLock.heldByRun { try take(directoryLock, exclusive: false) }
            try take(path, exclusive: true, removable: true)
        }
    }

    private func take(_ file: String, exclusive: Bool, removable: Bool = false) throws {
        while true {
            let descriptor: Int32
            do {
                descriptor = try SystemCall.open(file, O_RDWR | O_CREAT, role: .output)
            } catch {
                release()
                throw error
            }
            guard flock(descriptor, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
                let holder = WorkLock.readPID(descriptor)
                close(descriptor)
                release()
                throw LoomError.locked(path: file, holderPID: holder)
            }
            if removable, !WorkLock.isLinked(descriptor, at: file) {
                // Locked a file its holder removed as it released it: the lock is the new file's.
                close(descriptor)
                continue
            }
            if exclusive {
                let pid = "\(getpid())\n"
                do {
                    try SystemCall.check("ftruncate", path: file, role: .output) { ftruncate(descriptor, 0) }
                    let bytes = Array(pid.utf8)
                    try SystemCall.check("pwrite", path: file, role: .output) { pwrite(descriptor, bytes, bytes.count, 0) }
                } catch {
                    close(descriptor)
                    release()
                    throw error
                }
            }
            held.append((descriptor, exclusive, removable ? file : nil))
            return
        }
    }

    /// Whether `file` is still the open file `descriptor` (not removed nor replaced).
    private static func isLinked(_ descriptor: Int32, at file: String) -> Bool {
        var open = stat(), named = stat()
        guard fstat(descriptor, &open) == 0, stat(file, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// Releases the locks (also done on deinit and, by the kernel, on process exit).
    public func release() {
        for (descriptor, exclusive, removable) in held.reversed() {
            // Removed while still held, so no one can lock the file between the two steps.
            if let removable { _ = unlink(removable) } else if exclusive { _ = ftruncate(descriptor, 0) }
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
        held.removeAll()
    }

    deinit { release() }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count - 1, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}
