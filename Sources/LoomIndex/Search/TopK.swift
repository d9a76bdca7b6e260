/// The k best hits seen so far (a binary heap whose root is the worst kept hit), for one query.
struct TopK: Sendable {
    let k: Int
    private(set) var heap: [SearchHit] = []

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// Scores below this cannot enter (−∞ until k hits are kept).
    var threshold: Float { heap.count < k ? -.infinity : heap[0].score }

    mutating func offer(_ hit: SearchHit) {
        guard k > 0 else { return }
        if heap.count < k {
            heap.append(hit)
            siftUp(heap.count - 1)
        } else if hit.ranksBefore(heap[0]) {
            heap[0] = hit
            siftDown(0)
        }
    }

    /// The kept hits, best first.
    var sorted: [SearchHit] { heap.sorted { $0.ranksBefore($1) } }

    mutating func merge(_ other: TopK) {
        for hit in other.heap { offer(hit) }
    }

    // The root is the hit that ranks last.
    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[parent].ranksBefore(heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var worst = left
            if left + 1 < heap.count, heap[worst].ranksBefore(heap[left + 1]) { worst = left + 1 }
            guard heap[parent].ranksBefore(heap[worst]) else { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }
}
