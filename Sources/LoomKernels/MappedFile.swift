import Foundation
import LoomCore
#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped read-only (model weights, a search index's packed vectors): its bytes are
/// paged in on use instead of copied, and shared between processes that map the same file.
/// Unmapped when the last owner (this object, or a `FloatBuffer` borrowing it) goes away.
public final class MappedFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and never changes after init.
    public let path: String
    public let base: UnsafeRawPointer
    public let length: Int

    /// Maps the file at `path`; a missing or unreadable file is `inputMissing`, an empty one
    /// (nothing to map) `badInput`.
    public init(path: String) throws {
        self.path = path
        let descriptor = try SystemCall.open(path, O_RDONLY, role: .input)
        defer { close(descriptor) }
        length = try SystemCall.size(of: descriptor, path: path, role: .input)
        guard length > 0 else { throw LoomError.badInput(path: path, position: nil, reason: "0 bytes: an empty file") }
        base = try SystemCall.mapReadOnly(descriptor, length: length, path: path)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }
}
