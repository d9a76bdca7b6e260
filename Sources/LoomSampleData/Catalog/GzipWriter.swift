import CZlib
import Foundation
import LoomCore

/// gzip in memory with zlib. The header carries no file name and a zero mtime, so the bytes
/// depend only on the content.
enum GzipWriter {
    static func compress(_ input: Data) throws -> Data {
        var stream = z_stream()
        // windowBits 15 + 16 selects the gzip wrapper.
        guard deflateInit2_(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw LoomError.internalError("zlib deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var output = Data(count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        let produced: Int = try input.withUnsafeBytes { source in
            try output.withUnsafeMutableBytes { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(target.count)
                guard deflate(&stream, Z_FINISH) == Z_STREAM_END else {
                    throw LoomError.internalError("zlib deflate did not finish")
                }
                return Int(stream.total_out)
            }
        }
        return output.prefix(produced)
    }
}
