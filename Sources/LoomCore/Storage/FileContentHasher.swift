import CLoomKernels

/// The content hash of a file's stored bytes, fed block by block as they are read: Loom's own
/// 128-bit hash (`loom_content_hash_*`), written as `loom128:` and 32 hex digits. A file is hashed
/// to decide whether a stage must rerun, so it must be cheap beside parsing: SHA-256 took a third
/// of a pinned ingest's CPU time, this takes about 2 %. It guards against change, not attack.
public struct FileContentHasher {
    public static let prefix = "loom128:"

    private var state = loom_content_hash_state()

    public init() {
        loom_content_hash_init(&state)
    }

    public mutating func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        loom_content_hash_update(&state, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    public func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: 16)
        withUnsafePointer(to: state) { loom_content_hash_final($0, &digest) }
        return Self.prefix + ContentHash.hex(digest)
    }
}
