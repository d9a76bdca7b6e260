import Dispatch

/// Splits rows `0..<rows` into one contiguous range per thread, for row-wise passes whose rows
/// are independent: each row is computed the same way whichever range it falls in, so results
/// do not depend on the thread count.
enum RowRanges {
    static func forEach(rows: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let parts = max(1, min(threads, rows / 16))
        guard parts > 1 else {
            body(0..<rows)
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            body((rows * part / parts)..<(rows * (part + 1) / parts))
        }
    }
}
