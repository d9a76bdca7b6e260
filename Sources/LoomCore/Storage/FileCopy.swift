import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Copies a file's bytes with `copy_file_range`, so the kernel moves them (or shares the extents,
/// on file systems that can) without passing them through this process; read and write where
/// the call is not supported.
public enum FileCopy {
    public static func copy(from source: String, to destination: String) throws {
        let input = try SystemCall.open(source, O_RDONLY, role: .input)
        defer { close(input) }
        let output = try SystemCall.open(destination, O_WRONLY | O_CREAT | O_TRUNC, role: .output)
        defer { close(output) }
        var left = try SystemCall.size(of: input, path: source, role: .input)
        while left > 0 {
            guard let copyRange = FileCopy.copyFileRange else { break }
            let copied = copyRange(input, nil, output, nil, left, 0)
            if copied > 0 {
                left -= copied
                continue
            }
            if copied == 0 { break }   // ended early: what is left, if anything, by reading
            let code = errno
            if code == EINTR { continue }
            guard code == EXDEV || code == ENOSYS || code == EOPNOTSUPP || code == EINVAL else {
                throw SystemCall.failure("copy_file_range", path: destination, role: .output, errno: code)
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
                try SystemCall.read(input, bytes.baseAddress!, bytes.count, path: destination, role: .output)
            }
            if count == 0 { return }
            try buffer.withUnsafeBytes { bytes in try SystemCall.write(output, bytes.baseAddress!, count, path: destination) }
        }
    }
}
