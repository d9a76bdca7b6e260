/// The vocabulary as a byte trie, so the greedy longest-match of WordPiece is one walk down the
/// trie per piece (no substring is ever built or hashed). Children of a node are kept sorted in
/// one flat array; the root and the `##` node, which fan out widely, get a 256-entry table.
struct WordPieceTrie: Sendable {
    private var firstEdge: [Int32] = []
    private var edgeBytes: [UInt8] = []
    private var edgeTargets: [Int32] = []
    /// Token id ending at each node, or -1.
    private var tokenIDs: [Int32] = []
    private var rootTable = [Int32](repeating: -1, count: 256)
    private var continuationTable = [Int32](repeating: -1, count: 256)

    init(tokens: [String]) {
        // Build with dictionaries, then flatten breadth-first.
        var children: [[UInt8: Int32]] = [[:]]
        var ids: [Int32] = [-1]
        for (id, token) in tokens.enumerated() {
            var node = 0
            for byte in token.utf8 {
                if let next = children[node][byte] {
                    node = Int(next)
                } else {
                    children.append([:])
                    ids.append(-1)
                    children[node][byte] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            if ids[node] < 0 { ids[node] = Int32(id) }
        }
        var order: [Int] = [0]
        var newIndex = [Int32](repeating: -1, count: children.count)
        newIndex[0] = 0
        var head = 0
        while head < order.count {
            let node = order[head]
            head += 1
            for (_, child) in children[node].sorted(by: { $0.key < $1.key }) {
                newIndex[Int(child)] = Int32(order.count)
                order.append(Int(child))
            }
        }
        for node in order {
            firstEdge.append(Int32(edgeBytes.count))
            tokenIDs.append(ids[node])
            for (byte, child) in children[node].sorted(by: { $0.key < $1.key }) {
                edgeBytes.append(byte)
                edgeTargets.append(newIndex[Int(child)])
            }
        }
        firstEdge.append(Int32(edgeBytes.count))
        for byte in 0..<256 { rootTable[byte] = child(of: 0, byte: UInt8(byte)) }
        let hash = UInt8(ascii: "#")
        let continuation = child(of: 0, byte: hash).flatMapNode { child(of: $0, byte: hash) }
        if continuation >= 0 {
            for byte in 0..<256 { continuationTable[byte] = child(of: continuation, byte: UInt8(byte)) }
        }
    }

    private func child(of node: Int32, byte: UInt8) -> Int32 {
        var low = Int(firstEdge[Int(node)])
        var high = Int(firstEdge[Int(node) + 1])
        while low < high {
            let middle = (low + high) / 2
            let value = edgeBytes[middle]
            if value == byte { return edgeTargets[middle] }
            if value < byte { low = middle + 1 } else { high = middle }
        }
        return -1
    }

    /// The longest vocabulary piece that starts at `start` (with `##` when `continuation`):
    /// (its id, the index just after it), or nil.
    func longestPiece(in word: UnsafeBufferPointer<UInt8>, from start: Int, continuation: Bool) -> (id: Int32, end: Int)? {
        var node = continuation ? continuationTable[Int(word[start])] : rootTable[Int(word[start])]
        var index = start + 1
        var best: (id: Int32, end: Int)?
        while node >= 0 {
            let id = tokenIDs[Int(node)]
            if id >= 0 { best = (id, index) }
            guard index < word.count else { break }
            node = child(of: node, byte: word[index])
            index += 1
        }
        return best
    }
}

private extension Int32 {
    /// Applies `transform` unless this is the "no node" marker.
    func flatMapNode(_ transform: (Int32) -> Int32) -> Int32 {
        self < 0 ? -1 : transform(self)
    }
}
