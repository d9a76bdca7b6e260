import Foundation

/// A thread-safe map from a key to what was computed for it, emptied when it reaches `limit`
/// entries so that memory stays flat on any catalog. Worker threads share one.
final class BoundedMemo<Value>: @unchecked Sendable {
    // @unchecked: `entries` is only touched under `lock`, and values are handed out as copies.
    private var entries: [String: Value] = [:]
    private let lock = NSLock()
    private let limit: Int

    init(limit: Int = 100_000) {
        self.limit = limit
    }

    func lookup(_ key: String) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func store(_ key: String, _ value: Value) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = value
    }
}
