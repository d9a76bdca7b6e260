import Dispatch
import Foundation

/// Maps items on a fixed number of threads; result `i` always belongs to item `i`, so output
/// order never depends on scheduling. Workers take the next item as they finish one, so items
/// of uneven cost (a 1500² photo beside a 1000² one) keep every thread busy.
public enum ParallelMap {
    public static func map<T: Sendable, R: Sendable>(_ items: [T], threads: Int, _ transform: @Sendable (T) throws -> R) throws -> [R] {
        let slots = ResultSlots<R>(count: items.count)
        let workers = max(1, min(threads, items.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = slots.claim() {
                slots.set(index, Result { try transform(items[index]) })
            }
        }
        return try slots.values()
    }
}

/// Per-index result storage written from several threads.
final class ResultSlots<R: Sendable>: @unchecked Sendable {
    // @unchecked: `next` and `storage` are only touched under `lock`; each index is claimed and
    // written by exactly one worker, and `values()` runs after concurrentPerform has returned.
    private var storage: [Result<R, Error>?]
    private let lock = NSLock()
    private var next = 0

    init(count: Int) {
        storage = Array(repeating: nil, count: count)
    }

    /// The next unclaimed index, or nil when every item is taken.
    func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < storage.count else { return nil }
        next += 1
        return next - 1
    }

    func set(_ index: Int, _ value: Result<R, Error>) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    func values() throws -> [R] {
        lock.lock()
        defer { lock.unlock() }
        return try storage.map { slot in
            guard let slot else { throw LoomError.internalError("parallel map left a slot empty") }
            return try slot.get()
        }
    }
}
