/// A 64-byte aligned block of floats that the kernels read and write through raw pointers
/// (no copy-on-write, no bounds checks in hot loops). Owned by this object; freed with it.
public final class FloatBuffer: @unchecked Sendable {
    // @unchecked: the buffer is shared between kernel threads that write disjoint ranges,
    // by construction of the callers (rows or items split into fixed chunks).
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// Set for a buffer that lives in memory owned elsewhere (a mapped file); kept alive here.
    private let owner: AnyObject?

    public init(count: Int, zeroed: Bool = true) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        owner = nil
        if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }

    /// `count` floats at `pointer`, which `owner` keeps valid (and frees) — not copied, not freed here.
    public init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count, zeroed: false)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}
