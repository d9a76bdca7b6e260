import Foundation

/// Reads a file on a thread of its own, a few blocks ahead of its consumer: read(2), gunzip (for
/// `.gz`, detected by its magic) and the content hash of the bytes as stored all happen there, so the
/// consumer's thread only parses, and a catalog is read from disk once rather than once to parse
/// and again to hash. At most `depth` blocks wait, so memory stays flat whatever the file size.
public final class ReadAheadFile: @unchecked Sendable {
    // @unchecked: the mutable state is `queue`, which is only touched under its condition lock;
    // `bytesRead` and `contentHash` are only touched by the consumer's thread.

    /// Decompressed bytes in `storage[start..<storage.count]`, with `start` bytes of room in
    /// front so the consumer can put the unread end of the previous block there without copying
    /// this one.
    public struct Block: Sendable {
        public var storage: [UInt8]
        public var start: Int
        /// Stored (compressed for .gz) bytes of the file read up to the end of this block.
        public var storedOffset: Int
    }

    private enum Item {
        case block(Block)
        case end(hash: String?, storedBytes: Int)
        case failure(Error)
    }

    /// The hand-over between the reading thread and the consumer.
    private final class Queue: @unchecked Sendable {
        // @unchecked: every field is read and written under `condition`.
        let condition = NSCondition()
        var items: [Item] = []
        var cancelled = false
        let depth: Int

        init(depth: Int) { self.depth = depth }

        /// Waits for room; false when the consumer has gone.
        func put(_ item: Item) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while items.count >= depth, !cancelled { condition.wait() }
            guard !cancelled else { return false }
            items.append(item)
            condition.broadcast()
            return true
        }

        func take() -> Item {
            condition.lock()
            defer { condition.unlock() }
            while items.isEmpty { condition.wait() }
            let item = items.removeFirst()
            condition.broadcast()
            return item
        }

        func cancel() {
            condition.lock()
            cancelled = true
            items.removeAll()
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The source passes to the reading thread once, and only that thread uses it after.
    private struct SourceHandover: @unchecked Sendable {
        let source: ByteSource
    }

    public let path: String
    private let queue: Queue
    private var finished = false
    /// Stored bytes of the file handed to the consumer so far (progress, MB/s).
    public private(set) var bytesRead = 0
    /// Content hash of the file's stored bytes, as `ContentHash.file` gives it; set once the
    /// consumer has taken the last block (when hashing).
    public private(set) var contentHash: String?

    /// Opens `path` (errors such as a missing file are thrown here) and starts reading; without
    /// `hashing`, `contentHash` stays nil.
    public init(path: String, hashing: Bool = true, blockSize: Int = 8 << 20, headroom: Int = 256 << 10, depth: Int = 2) throws {
        self.path = path
        let handover = SourceHandover(source: try ByteSource(path: path))
        let queue = Queue(depth: max(1, depth))
        self.queue = queue
        Thread {
            let source = handover.source
            let hasher = FileContentHasher()
            if hashing { source.storedBytesObserver = { hasher.update(bufferPointer: $0) } }
            do {
                while true {
                    var got = 0
                    let storage = try [UInt8](unsafeUninitializedCapacity: headroom + blockSize) { bytes, count in
                        bytes.baseAddress!.initialize(repeating: 0, count: headroom)
                        got = try source.read(into: UnsafeMutableRawBufferPointer(start: bytes.baseAddress! + headroom, count: blockSize))
                        count = headroom + got
                    }
                    if got == 0 {
                        _ = queue.put(.end(hash: hashing ? hasher.finalize() : nil, storedBytes: source.bytesRead))
                        return
                    }
                    guard queue.put(.block(Block(storage: storage, start: headroom, storedOffset: source.bytesRead))) else { return }
                }
            } catch {
                _ = queue.put(.failure(error))
            }
        }.start()
    }

    deinit {
        // Stops the reading thread if the consumer leaves early (an error, a test).
        queue.cancel()
    }

    /// The next block, or nil at the end of the file; read and gzip errors are thrown here, in
    /// the order they happened.
    public func next() throws -> Block? {
        guard !finished else { return nil }
        switch queue.take() {
        case .block(let block):
            bytesRead = block.storedOffset
            return block
        case let .end(hash, storedBytes):
            finished = true
            bytesRead = storedBytes
            contentHash = hash
            return nil
        case .failure(let error):
            finished = true
            throw error
        }
    }
}
