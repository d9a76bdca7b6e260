import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Copies a file's bytes with `copy_file_range`, so the kernel moves them (or shares the extents,
/// on file systems that can) without passing them through this process; read and write where
/// the call is not supported.
public enum FileCopy {
    public static func copy(from source: String, to destination: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw LoomError.inputMissing(path: source, reason: String(cString: strerror(errno))) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw LoomError.cannotCreateOutput(path: destination, reason: String(cString: strerror(errno))) }
        defer { close(output) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw LoomError.inputMissing(path: source, reason: String(cString: strerror(errno))) }
        var left = Int(info.st_size)
        while left > 0 {
            guard let copyRange = FileCopy.copyFileRange else { break }
            let copied = copyRange(input, nil, output, nil, left, 0)
            if copied > 0 {
                left -= copied
                continue
            }
            if copied == 0 { break }   // ended early: what is left, if anything, by reading
            guard errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL else {
                throw LoomError.cannotCreateOutput(path: destination, reason: String(cString: strerror(errno)))
            }
            break
        }
        if left > 0 { try copyByReading(input, output, destination: destination) }
    }

    /// glibc's `copy_file_range` (Swift's Glibc module leaves out the GNU extensions), found once.
    private typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int
    private static let copyFileRange: CopyFileRange? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "copy_file_range")
        .map { unsafeBitCast($0, to: CopyFileRange.self) }

    /// The fallback: whatever is left, through a buffer.
    private static func copyByReading(_ input: Int32, _ output: Int32, destination: String) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try buffer.withUnsafeMutableBytes { bytes in
                try SystemCall.check("read", path: destination, role: .output) { read(input, bytes.baseAddress, bytes.count) }
            }
            if count == 0 { return }
            var written = 0
            while written < count {
                written += try buffer.withUnsafeBytes { bytes in
                    try SystemCall.check("write", path: destination, role: .output) { write(output, bytes.baseAddress! + written, count - written) }
                }
            }
        }
    }
}
