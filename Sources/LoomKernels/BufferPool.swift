import Foundation

/// Scratch buffers handed to workers and taken back, so a forward pass does not map, fault in
/// and unmap tens of megabytes of activations for every image. Contents are not cleared
/// between uses: every kernel writes its output before anything reads it.
public final class BufferPool: @unchecked Sendable {
    // @unchecked: `free` is only touched under `lock`.
    private let lock = NSLock()
    private var free: [FloatBuffer] = []

    public init() {}

    /// Runs `body` with a buffer of at least `count` floats that no other worker holds meanwhile.
    public func with<T>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> T) rethrows -> T {
        let reused = lock.withLock { () -> FloatBuffer? in
            guard let index = free.firstIndex(where: { $0.count >= count }) else { return nil }
            return free.remove(at: index)
        }
        let buffer = reused ?? FloatBuffer(count: count, zeroed: false)
        defer { lock.withLock { free.append(buffer) } }
        return try body(buffer.pointer)
    }
}
