import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A progress line on stderr, redrawn at most a few times a second and only when stderr is a
/// terminal (cron mail and CI logs get the summary line alone).
public final class TerminalProgress: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `lock`.
    private let label: String
    private let total: Int?
    private let enabled: Bool
    private let lock = NSLock()
    private var done = 0
    private var lastDraw = Date.distantPast
    private let started = Date()

    public init(label: String, total: Int?, enabled: Bool = isatty(2) == 1) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    /// Counts `count` more done; `note` (failures so far, say) follows the rate.
    public func advance(by count: Int = 1, note: String = "") {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        done += count
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let rate = Double(done) / max(now.timeIntervalSince(started), 1e-9)
        let of = total.map { "/\($0)" } ?? ""
        FileHandle.standardError.write(Data(String(format: "\r%@: %d%@ (%.0f/s)%@\u{1B}[K", label, done, of, rate, note.isEmpty ? "" : ", " + note).utf8))
    }

    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
