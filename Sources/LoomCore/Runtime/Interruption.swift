import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT (a cron job's timeout, Ctrl-C, Slurm's scancel, a pod's eviction): the
/// command undoes what it registered — temporary outputs removed, its shard processes and
/// submitted Slurm jobs stopped — and exits 75 (try again). Previous outputs are never touched,
/// since every output is built under a temporary name and renamed only when complete.
///
/// The signals are blocked in every thread and taken by one thread in `sigwait`, so the undo
/// runs as ordinary code rather than inside a signal handler.
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
    static let signals: [Int32] = [SIGTERM, SIGINT]

    /// Blocks SIGTERM and SIGINT and starts the thread that waits for them. Call it first thing
    /// in `main`, before any other thread exists (threads inherit the blocked set).
    public static func install() {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        guard !registry.installed else { return }
        registry.installed = true
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waiting = set
        Thread.detachNewThread {
            var set = waiting
            var received: Int32 = 0
            while sigwait(&set, &received) != 0 {}
            interrupted(by: received)
        }
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

    /// Sends SIGTERM to `pids` and waits up to `seconds` for them to end (each undoes its own
    /// work and exits), then SIGKILL to any left.
    public static func stop(_ pids: [Int32], waiting seconds: Double = 20) {
        for pid in pids { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(seconds)
        var left = pids
        while !left.isEmpty, Date() < deadline {
            left = left.filter(isRunning)
            if !left.isEmpty { usleep(50_000) }
        }
        for pid in left { kill(pid, SIGKILL) }
    }

    /// Whether `pid` runs (exists and has not ended: a child not yet reaped is a zombie).
    static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}
