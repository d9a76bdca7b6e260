import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The write end of the pipe the signal handler writes a signal's number to: a handler may only
/// make async-signal-safe calls, and write(2) is one.
nonisolated(unsafe) private var interruptionPipe: Int32 = -1

/// SIGTERM and SIGINT (a cron job's timeout, Ctrl-C, Slurm's scancel, a pod's eviction): the
/// command undoes what it registered — temporary outputs removed, its shard processes and
/// submitted Slurm jobs stopped — and exits 75 (try again). Previous outputs are never touched,
/// since every output is built under a temporary name and renamed only when complete.
///
/// A handler writes the signal's number to a pipe, and a thread of its own reads it and undoes,
/// as ordinary code. The signals stay unblocked, so the programs a command starts (sbatch, its
/// shard processes) get the default dispositions. A step that must not be cut in two — starting a
/// child and registering its undo, a rename and dropping the temporary file's undo — runs in
/// `critical`, which the interruption waits for and then holds until the process exits.
public enum Interruption {
    /// A registered undo, to remove once what it undoes is finished.
    public struct Token: Sendable, Hashable {
        fileprivate let id: Int
    }

    private final class Registry: @unchecked Sendable {
        // @unchecked: every field is touched under `lock`.
        let lock = NSLock()
        var actions: [Int: @Sendable () -> Void] = [:]
        var next = 0
        var installed = false
        var interrupted = false
    }

    private static let registry = Registry()
    /// Taken by `critical` steps; the interruption takes it and never gives it back.
    private static let criticalLock = NSRecursiveLock()
    static let signals: [Int32] = [SIGTERM, SIGINT]

    /// Installs the handlers and starts the thread that undoes. Call it first thing in `main`,
    /// on the main thread, before other threads exist.
    public static func install() {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        guard !registry.installed else { return }
        var ends: [Int32] = [-1, -1]
        // pipe2 is a GNU extension Swift's Glibc module leaves out: close-on-exec set after.
        guard pipe(&ends) == 0 else { return }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        registry.installed = true
        interruptionPipe = ends[1]
        let reading = ends[0]
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while true {
                let count = read(reading, &byte, 1)
                if count == 1 { break }
                if count == 0 || errno != EINTR { return }
            }
            interrupted(by: Int32(byte))
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(interruptionPipe, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for signal in signals { sigaction(signal, &action, nil) }
        // A program started from a thread that blocks signals (a dispatch worker's) inherits
        // the blocked set; unblocked here, in the main thread, and so in every thread after.
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Runs `body` whole: an interruption that arrives meanwhile waits for it to end.
    public static func critical<T>(_ body: () throws -> T) rethrows -> T {
        criticalLock.lock()
        defer { criticalLock.unlock() }
        return try body()
    }

    /// Runs `action` if the command is interrupted, until `remove` is called with the token.
    @discardableResult
    public static func onInterrupt(_ action: @escaping @Sendable () -> Void) -> Token {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        registry.next += 1
        registry.actions[registry.next] = action
        return Token(id: registry.next)
    }

    public static func remove(_ token: Token) {
        registry.lock.lock()
        registry.actions[token.id] = nil
        registry.lock.unlock()
    }

    /// Undoes, newest registration first, says so, and exits 75.
    private static func interrupted(by signal: Int32) -> Never {
        criticalLock.lock()
        registry.lock.lock()
        registry.interrupted = true
        let actions = registry.actions.sorted { $0.key > $1.key }.map(\.value)
        registry.lock.unlock()
        for action in actions { action() }
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        FileHandle.standardError.write(Data("loom: interrupted by \(name): temporary outputs removed, previous outputs untouched; run again to finish (exit 75)\n".utf8))
        _exit(ExitStatus.locked.rawValue)
    }

    /// Waits for the end of an interruption in progress, if there is one: a command whose work
    /// failed because the interruption stopped it (its shard processes exited 75) leaves it to
    /// the interruption to exit, with 75.
    public static func yieldIfInterrupted() {
        registry.lock.lock()
        let interrupted = registry.interrupted
        registry.lock.unlock()
        guard interrupted else { return }
        while true { pause() }
    }

    /// Sends SIGTERM to those of `pids` that are still this process's running children (a child
    /// that ended may have been reaped and its pid given to another process), waits up to
    /// `seconds` for them to end (each undoes its own work and exits), then SIGKILLs any left.
    public static func stop(_ pids: [Int32], waiting seconds: Double = 20) {
        var left = pids.filter(isRunningChild)
        for pid in left { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(seconds)
        while !left.isEmpty, Date() < deadline {
            left = left.filter(isRunningChild)
            if !left.isEmpty { usleep(50_000) }
        }
        for pid in left { kill(pid, SIGKILL) }
    }

    /// Whether `pid` is a child of this process that has not ended (a child not yet reaped is a
    /// zombie): from /proc/PID/stat, "pid (name) state ppid …".
    static func isRunningChild(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let state = fields[0].first, let parent = Int32(fields[1]) else { return false }
        return parent == getpid() && state != "Z" && state != "X"
    }
}
