import Crypto
import Foundation
import LoomCore
#if canImport(Glibc)
import Glibc
#endif

/// The content-addressed photo store: each distinct photo once, at `<root>/ab/abcdef….jpg`, named
/// by the SHA-256 of its bytes (never by anything in its URL). A file is written under a temporary
/// name and renamed into place, so a path in the store always holds the whole photo.
struct PhotoStore: Sendable {
    let root: String

    /// A photo as stored: its hash and its path.
    struct Stored: Sendable {
        var contentHash: String
        var path: String
    }

    static func contentHash(_ bytes: UnsafeRawBufferPointer) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    func path(contentHash: String, format: PhotoFormat) -> String {
        "\(root)/\(contentHash.prefix(2))/\(contentHash).\(format.fileExtension)"
    }

    /// Puts `bytes` in the store unless a photo with the same hash is there already.
    func store(_ bytes: UnsafeRawBufferPointer, format: PhotoFormat) throws -> Stored {
        let hash = PhotoStore.contentHash(bytes)
        let path = path(contentHash: hash, format: format)
        if access(path, F_OK) == 0 { return Stored(contentHash: hash, path: path) }
        let folder = (path as NSString).deletingLastPathComponent
        if mkdir(folder, 0o755) != 0 && errno != EEXIST {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        // Unique among the threads and processes writing the store at once.
        let temporary = "\(folder)/.\(hash).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LoomError.cannotCreateOutput(path: temporary, reason: String(cString: strerror(errno))) }
        var written = 0
        while written < bytes.count {
            let count = write(fd, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw LoomError.cannotCreateOutput(path: temporary, reason: reason)
            }
            written += count
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw LoomError.cannotCreateOutput(path: path, reason: reason)
        }
        return Stored(contentHash: hash, path: path)
    }

    /// Whether the store holds the whole photo at `path`: a file cut short (a power loss after
    /// the rename, before its data reached the disk) is fetched again.
    func contains(_ path: String, bytes: Int) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && Int(status.st_size) == bytes
    }
}
