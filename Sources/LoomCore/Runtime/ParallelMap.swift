import Dispatch
import Foundation

/// Maps items on a fixed number of threads; result `i` always belongs to item `i`, so output
/// order never depends on scheduling.
public enum ParallelMap {
    public static func map<T: Sendable, R: Sendable>(_ items: [T], threads: Int, _ transform: @Sendable (T) throws -> R) throws -> [R] {
        let slots = ResultSlots<R>(count: items.count)
        let workers = max(1, min(threads, items.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < items.count {
                slots.set(index, Result { try transform(items[index]) })
                index += workers
            }
        }
        return try slots.values()
    }
}

/// Per-index result storage written from several threads.
final class ResultSlots<R: Sendable>: @unchecked Sendable {
    // @unchecked: each index is written by exactly one worker, and all writes happen before
    // `values()` reads them (concurrentPerform returns only after every iteration finished); the
    // lock orders the writes for the memory model.
    private var storage: [Result<R, Error>?]
    private let lock = NSLock()

    init(count: Int) {
        storage = Array(repeating: nil, count: count)
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
