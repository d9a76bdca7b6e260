import CXXHash

/// The content hash of a file's stored bytes, fed block by block as they are read: XXH3-128 from
/// the system libxxhash, written as `xxh3-128:` and the 32 hex digits `xxhsum -H2 FILE` prints, so
/// anyone can check what `meta` records. A file is hashed to decide whether a stage must rerun, so
/// it must be cheap beside parsing: SHA-256 took a third of a pinned ingest's CPU time, XXH3 runs at
/// memory speed. It guards against change, not attack.
///
/// A class: the streaming state lives in memory libxxhash allocates (its layout is private to the
/// library), freed with the hasher.
public final class FileContentHasher {
    public static let prefix = "xxh3-128:"

    private let state: OpaquePointer

    public init() {
        guard let state = XXH3_createState() else { fatalError("XXH3_createState: out of memory") }
        self.state = state
        XXH3_128bits_reset(state)
    }

    deinit {
        XXH3_freeState(state)
    }

    public func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        XXH3_128bits_update(state, base, bytes.count)
    }

    /// The digest of the bytes so far, in XXH128's canonical (big-endian) form; the hasher can be
    /// fed further after.
    public func finalize() -> String {
        var canonical = XXH128_canonical_t()
        XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state))
        return Self.prefix + withUnsafeBytes(of: canonical.digest) { ContentHash.hex($0) }
    }

    /// The hash of bytes held whole in memory (a file already read): libxxhash's one-shot call,
    /// the same digest as fed in blocks, without a state to allocate (rows hash their inputs
    /// by the hundred thousand).
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> String {
        var canonical = XXH128_canonical_t()
        XXH128_canonicalFromHash(&canonical, XXH3_128bits(bytes.baseAddress, bytes.count))
        return prefix + withUnsafeBytes(of: canonical.digest) { ContentHash.hex($0) }
    }

    /// The hash of a string's UTF-8 bytes.
    public static func hash(_ text: String) -> String {
        var text = text
        return text.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }
}
