import LoomInference
import LoomKernels
/// Reusable float buffers for the training passes. A step allocates the same buffers as the
/// step before (tens of megabytes of gates and packed activations); taking them from here
/// instead of fresh memory saves the page faults of mapping them again, which cost more than
/// a tenth of a step. `reset()` hands every buffer back: what was taken before is then free
/// to be overwritten.
final class TrainingArena: @unchecked Sendable {
    // @unchecked: used by one thread at a time (the thread running the training step).
    private var free: [FloatBuffer] = []
    private var taken: [FloatBuffer] = []

    /// A buffer of exactly `count` floats (a view of a reused block of at least that size).
    /// When no free block is large enough, the largest free one is released as the new one is
    /// made: it is the one this request outgrew, and keeping it would let the arena grow with
    /// every batch longer than the last (the blocks stay as many as a step takes).
    func take(_ count: Int, zeroed: Bool = false) -> FloatBuffer {
        let block: FloatBuffer
        if let index = free.indices.filter({ free[$0].count >= count }).min(by: { free[$0].count < free[$1].count }) {
            block = free.remove(at: index)
        } else {
            if let largest = free.indices.max(by: { free[$0].count < free[$1].count }) { free.remove(at: largest) }
            block = FloatBuffer(count: max(count, 1), zeroed: false)
        }
        taken.append(block)
        if zeroed { block.pointer.initialize(repeating: 0, count: count) }
        return FloatBuffer(borrowing: block.pointer, count: count, owner: block)
    }

    /// Hands back, before the step ends, buffers the step no longer reads (a finished layer's
    /// gradients), so the next layer's requests reuse them instead of adding to the peak.
    func release(_ buffers: FloatBuffer...) {
        for buffer in buffers {
            guard let index = taken.firstIndex(where: { $0.pointer == buffer.pointer }) else { continue }
            free.append(taken.remove(at: index))
        }
    }

    func reset() {
        free += taken
        taken.removeAll(keepingCapacity: true)
    }
}
