import CZlib
import Foundation

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
            let chunk = try source.read(maximum: 1 << 20)
            if chunk.isEmpty { finished = true } else { buffer.append(contentsOf: chunk) }
        }
    }

    /// Bytes of the underlying file consumed so far (compressed bytes for .gz), for progress.
    public var bytesRead: Int { source.bytesRead }
}

/// The bytes of a file, gunzipped when it starts with the gzip magic (including concatenated
/// gzip members, as `cat a.gz b.gz` produces).
public final class ByteSource {
    private let handle: FileHandle
    private let path: String
    /// zlib keeps a pointer back to its z_stream, so the struct needs a fixed address.
    private var stream: UnsafeMutablePointer<z_stream>?
    private var pending: [UInt8] = []
    private var endOfFile = false
    public private(set) var bytesRead = 0

    public init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LoomError.inputMissing(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot open for reading" : "no such file")
        }
        self.handle = handle
        let head = try handle.read(upToCount: 2) ?? Data()
        try handle.seek(toOffset: 0)
        if head.count == 2, head[head.startIndex] == 0x1F, head[head.startIndex + 1] == 0x8B {
            let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            z.initialize(to: z_stream())
            guard inflateInit2_(z, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                z.deallocate()
                throw LoomError.internalError("zlib inflateInit2 failed for \(path)")
            }
            stream = z
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        try? handle.close()
    }

    /// Up to `maximum` decompressed bytes; empty at the end of the file.
    public func read(maximum: Int) throws -> [UInt8] {
        guard let stream else {
            let data = try handle.read(upToCount: maximum) ?? Data()
            bytesRead += data.count
            return [UInt8](data)
        }
        var output = [UInt8](repeating: 0, count: maximum)
        var produced = 0
        while produced == 0 {
            if pending.isEmpty {
                if endOfFile { return [] }
                let data = try handle.read(upToCount: 1 << 18) ?? Data()
                bytesRead += data.count
                if data.isEmpty {
                    endOfFile = true
                    throw LoomError.badInput(path: path, position: "byte \(bytesRead)", reason: "gzip stream ends early (truncated file)")
                }
                pending = [UInt8](data)
            }
            let consumedBefore = pending.count
            let status: Int32 = pending.withUnsafeMutableBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_in = input.baseAddress
                    stream.pointee.avail_in = uInt(input.count)
                    stream.pointee.next_out = out.baseAddress! + produced
                    stream.pointee.avail_out = uInt(out.count - produced)
                    let status = inflate(stream, Z_NO_FLUSH)
                    produced = out.count - Int(stream.pointee.avail_out)
                    return status
                }
            }
            let consumed = consumedBefore - Int(stream.pointee.avail_in)
            pending.removeFirst(consumed)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                // Another gzip member may follow; otherwise this was the end.
                if pending.isEmpty, let more = try handle.read(upToCount: 1 << 18), !more.isEmpty {
                    bytesRead += more.count
                    pending = [UInt8](more)
                }
                if pending.isEmpty {
                    endOfFile = true
                    return Array(output[0..<produced])
                }
                inflateReset(stream)
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw LoomError.badInput(path: path, position: "byte \(bytesRead)", reason: "corrupt gzip data (\(message))")
            }
        }
        return Array(output[0..<produced])
    }
}
