import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The file system calls Loom makes itself, checked: `EINTR` is retried, any other failure
/// becomes a `LoomError` that names the call, the path and the system's reason — 73 (cannot
/// create output) for a call on an output, 66 for one on an input.
public enum SystemCall {
    /// What the path is to the command: which exit status a failure on it gets.
    public enum Role: Sendable {
        case input
        case output
    }

    /// Runs `body` (a call that returns -1 and sets `errno` on failure) until it is not
    /// interrupted; returns its result.
    @discardableResult
    public static func check<Result: BinaryInteger>(_ call: String, path: String, role: Role, _ body: () -> Result) throws -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw failure(call, path: path, role: role, errno: code)
        }
    }

    /// The error for `call` failing on `path` with `code`.
    public static func failure(_ call: String, path: String, role: Role, errno code: Int32) -> LoomError {
        let reason = "\(call): \(String(cString: strerror(code)))"
        switch role {
        case .output: return .cannotCreateOutput(path: path, reason: reason)
        case .input: return .inputMissing(path: path, reason: reason)
        }
    }

    /// Opens `path` (close-on-exec, `EINTR` retried); a missing input is "no such file".
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644, role: Role) throws -> Int32 {
        while true {
            let descriptor = Glibc.open(path, flags | O_CLOEXEC, mode)
            if descriptor >= 0 { return descriptor }
            let code = errno
            if code == EINTR { continue }
            if role == .input, code == ENOENT { throw LoomError.inputMissing(path: path, reason: "no such file") }
            throw failure("open", path: path, role: role, errno: code)
        }
    }

    /// The size in bytes of the open file `descriptor`.
    public static func size(of descriptor: Int32, path: String, role: Role) throws -> Int {
        var info = stat()
        try check("fstat", path: path, role: role) { fstat(descriptor, &info) }
        return Int(info.st_size)
    }

    /// One read(2) of up to `count` bytes into `target`; 0 at the end of the file.
    public static func read(_ descriptor: Int32, _ target: UnsafeMutableRawPointer, _ count: Int, path: String, role: Role) throws -> Int {
        try check("read", path: path, role: role) { Glibc.read(descriptor, target, count) }
    }

    /// Writes all `count` bytes at `source`, however many calls it takes.
    public static func write(_ descriptor: Int32, _ source: UnsafeRawPointer, _ count: Int, path: String) throws {
        var written = 0
        while written < count {
            written += try check("write", path: path, role: .output) { Glibc.write(descriptor, source + written, count - written) }
        }
    }

    /// Maps `length` bytes of the open file `descriptor` read-only.
    public static func mapReadOnly(_ descriptor: Int32, length: Int, path: String) throws -> UnsafeRawPointer {
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
            throw failure("mmap", path: path, role: .input, errno: errno)
        }
        return UnsafeRawPointer(mapped)
    }

    /// Flushes a file, or a directory's entries (after a rename), to the disk. Filesystems that
    /// cannot sync a directory say `EINVAL`; that is not a failure of the output.
    public static func sync(path: String) throws {
        let target = path.isEmpty ? "." : path
        let descriptor = try open(target, O_RDONLY, role: .output)
        defer { close(descriptor) }
        var status: Int32
        repeat { status = fsync(descriptor) } while status == -1 && errno == EINTR
        guard status == 0 else {
            let code = errno   // before any other call can change it
            var info = stat()
            if code == EINVAL, fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return }
            throw failure("fsync", path: target, role: .output, errno: code)
        }
    }

    /// Renames `source` over `destination` (atomic on one filesystem).
    public static func rename(_ source: String, to destination: String) throws {
        try check("rename \(source)", path: destination, role: .output) { Glibc.rename(source, destination) }
    }

    /// Puts a finished, synced file in place: renames it over `destination` and syncs the
    /// directory, so the new name survives a crash too.
    public static func moveIntoPlace(_ source: String, to destination: String) throws {
        try rename(source, to: destination)
        try sync(path: (destination as NSString).deletingLastPathComponent)
    }
}
