import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a text file line by line in constant memory, transparently gunzipping `.gz` files
/// (detected by the gzip magic, not the name). Lines are raw bytes without the terminator, so
/// the caller decides what invalid UTF-8 means; line numbers start at 1.
public final class LineReader {
    public let path: String
    public private(set) var lineNumber = 0
    private let source: ByteSource
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false

    public init(path: String) throws {
        self.path = path
        source = try ByteSource(path: path)
    }

    /// The next line, or nil at the end of the file.
    public func next() throws -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[start..<end])
                start = newline + 1
                lineNumber += 1
                return line
            }
            if finished {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                lineNumber += 1
                return line
            }
            // Compact, then refill.
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            if try source.read(appendingTo: &buffer, maximum: 1 << 20) == 0 { finished = true }
        }
    }

    /// Bytes of the underlying file consumed so far (compressed bytes for .gz), for progress.
    public var bytesRead: Int { source.bytesRead }
}
