import Foundation

/// Scratch buffers handed to workers and taken back, so a forward pass does not map, fault in
/// and unmap tens of megabytes of activations for every image. Contents are not cleared
/// between uses: every kernel writes its output before anything reads it.
final class BufferPool: @unchecked Sendable {
    // @unchecked: `free` is only touched under `lock`.
    private let lock = NSLock()
    private var free: [FloatBuffer] = []
    let count: Int

    init(count: Int) { self.count = count }

    /// Runs `body` with a buffer of `count` floats that no other worker holds meanwhile.
    func with<T>(_ body: (FloatBuffer) throws -> T) rethrows -> T {
        let buffer = lock.withLock { free.popLast() } ?? FloatBuffer(count: count, zeroed: false)
        defer { lock.withLock { free.append(buffer) } }
        return try body(buffer)
    }
}
