import Dispatch

/// Splits `0..<count` into one contiguous part per thread, each a whole number of `grain`s, and
/// runs the parts in parallel. Callers give each index work that does not depend on its part, so
/// results are the same at any thread count. (Training's passes, the sentence encoder's row-wise
/// steps, packing.)
public enum WorkSplit {
    /// `minimum`: indices below which a part is not worth a thread (the whole runs on this one).
    public static func forEach(_ count: Int, grain: Int = 1, threads: Int, minimum: Int = 0, _ body: (Range<Int>) -> Void) {
        let grains = (count + grain - 1) / grain
        let parts = min(threads, grains, minimum > 0 ? max(1, count / minimum) : grains)
        guard parts > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = SharedBody(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let first = grains * part / parts * grain, last = min(count, grains * (part + 1) / parts * grain)
                if first < last { shared.body(first..<last) }
            }
        }
    }

    /// The body crosses into the workers, which each touch only their own part.
    private struct SharedBody: @unchecked Sendable {
        let body: (Range<Int>) -> Void
        init(_ body: @escaping (Range<Int>) -> Void) { self.body = body }
    }
}
