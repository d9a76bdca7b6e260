import Foundation

/// Remembers the content hash of each input file for as long as its size, modification time and
/// inode stay the same, so `loom run` hashes a multi-GB catalog once, not once to decide and
/// again to record. Lives for one runner (one process).
public final class InputHashCache: @unchecked Sendable {
    // @unchecked: `entries` is only touched under `lock`.
    private var entries: [FileStamp: String] = [:]
    private let lock = NSLock()

    public init() {}

    /// The hash of `path`, from the cache when the file is unchanged, else computed by `hash`.
    public func hash(of path: String, using hash: (String) throws -> String) throws -> String {
        let stamp = FileStamp(path: path)
        if let stamp {
            lock.lock()
            let known = entries[stamp]
            lock.unlock()
            if let known { return known }
        }
        let value = try hash(path)
        if let stamp {
            lock.lock()
            entries[stamp] = value
            lock.unlock()
        }
        return value
    }

    /// Remembers `hash` for `path` as the file is now: a stage that hashed a file in the same pass
    /// that read it (ingest's catalogs) saves the runner from reading it again for `meta`.
    public func record(_ hash: String, of path: String) {
        guard let stamp = FileStamp(path: path) else { return }
        lock.lock()
        entries[stamp] = hash
        lock.unlock()
    }

    /// The hash of `path` if it was computed while the file was as it is now; nil otherwise.
    public func knownHash(of path: String) -> String? {
        guard let stamp = FileStamp(path: path) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return entries[stamp]
    }
}
