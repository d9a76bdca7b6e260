#if canImport(Glibc)
import Glibc
#endif
/// A 64-byte aligned block of floats (from 4 MB on, whole huge pages) that the kernels read and
/// write through raw pointers (no copy-on-write, no bounds checks in hot loops). Owned by this
/// object; freed with it.
public final class FloatBuffer: @unchecked Sendable {
    // @unchecked: the buffer is shared between kernel threads that write disjoint ranges,
    // by construction of the callers (rows or items split into fixed chunks).
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// Set for a buffer that lives in memory owned elsewhere (a mapped file); kept alive here.
    private let owner: AnyObject?
    /// x86-64's huge page, and the size from which a buffer is made of them (at most a third
    /// of such a buffer is rounding).
    public static let hugePage = 2 << 20
    static let hugePageMinimum = 4 << 20

    public init(count: Int, zeroed: Bool = true) {
        self.count = count
        let bytes = max(count, 1) * 4
        let raw: UnsafeMutableRawPointer
        if bytes >= Self.hugePageMinimum {
            // Whole 2 MB pages, asked for as huge pages (where the kernel's transparent huge pages
            // are `madvise`, as here, they are not given otherwise): a training step streams
            // hundreds of megabytes of these buffers, row-strided too, and 4 KB pages miss the TLB.
            // (Pages the allocator reuses from an earlier buffer keep the size they were mapped
            // with; buffers over glibc's 32 MB mmap threshold, the largest, are always fresh.)
            let rounded = (bytes + Self.hugePage - 1) / Self.hugePage * Self.hugePage
            raw = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: Self.hugePage)
            #if os(Linux)
            _ = madvise(raw, rounded, MADV_HUGEPAGE)  // only advice: without it the pages are 4 KB
            #endif
        } else {
            raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        }
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
