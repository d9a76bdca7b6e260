import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a file, gunzipped when it starts with the gzip magic (including concatenated
/// gzip members, as `cat a.gz b.gz` produces). Reads with read(2) straight into the caller's
/// buffer: catalogs are read at hundreds of MB/s and every copy shows.
public final class ByteSource {
    private let descriptor: Int32
    private let path: String
    /// zlib keeps a pointer back to its z_stream, so the struct needs a fixed address.
    private var stream: UnsafeMutablePointer<z_stream>?
    private var compressed: [UInt8] = []
    private var compressedStart = 0
    private var endOfFile = false
    /// read(2) lands here first: appending from it never zero-fills the caller's buffer.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    public private(set) var bytesRead = 0
    /// Sees every block of the file's bytes as stored (compressed for .gz), in order, as read(2)
    /// returns them: `ReadAheadFile` hashes the input in the same pass that parses it.
    public var storedBytesObserver: ((UnsafeRawBufferPointer) -> Void)?

    /// `decompress: false` reads gzip files as they are (images, hashing).
    public init(path: String, decompress: Bool = true) throws {
        self.path = path
        descriptor = try SystemCall.open(path, O_RDONLY, role: .input)
        var magic = [UInt8](repeating: 0, count: 2)
        let got: Int
        do {
            got = try SystemCall.check("pread", path: path, role: .input) { pread(descriptor, &magic, 2, 0) }
        } catch {
            close(descriptor)
            throw error
        }
        if decompress, got == 2, magic[0] == 0x1F, magic[1] == 0x8B {
            let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            z.initialize(to: z_stream())
            guard inflateInit2_(z, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                z.deallocate()
                close(descriptor)
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
        scratch.deallocate()
        close(descriptor)
    }

    /// Up to `maximum` decompressed bytes; empty at the end of the file.
    public func read(maximum: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        _ = try read(appendingTo: &bytes, maximum: maximum)
        return bytes
    }

    /// Appends up to `maximum` decompressed bytes to `buffer`; returns how many (0 at the end).
    public func read(appendingTo buffer: inout [UInt8], maximum: Int) throws -> Int {
        if stream == nil {
            let got = try readRaw(appendingTo: &buffer, maximum: maximum)
            bytesRead += got
            return got
        }
        let before = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: maximum))
        var produced = 0
        defer { buffer.removeLast(maximum - produced) }
        produced = try buffer.withUnsafeMutableBytes { try inflate(into: UnsafeMutableRawBufferPointer(rebasing: $0[before...])) }
        return produced
    }

    /// Fills `destination` with the next decompressed bytes, or as much of it as the file has
    /// left; returns how many (0 at the end). Plain files go straight from read(2) into it.
    public func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        guard stream == nil else {
            var total = 0
            while total < destination.count {
                let got = try inflate(into: UnsafeMutableRawBufferPointer(rebasing: destination[total...]))
                if got == 0 { break }
                total += got
            }
            return total
        }
        var total = 0
        while total < destination.count {
            let got = try readOnce(destination.baseAddress! + total, destination.count - total)
            if got == 0 { break }
            total += got
            bytesRead += got
        }
        return total
    }

    /// One read(2) of up to `count` bytes; 0 at the end.
    private func readOnce(_ target: UnsafeMutableRawPointer, _ count: Int) throws -> Int {
        let got = try SystemCall.read(descriptor, target, count, path: path, role: .input)
        storedBytesObserver?(UnsafeRawBufferPointer(start: target, count: got))
        return got
    }

    private func readRaw(appendingTo buffer: inout [UInt8], maximum: Int) throws -> Int {
        var total = 0
        while total < maximum {
            let want = min(maximum - total, scratch.count)
            let got = try readOnce(scratch.baseAddress!, want)
            if got == 0 { break }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<got]))
            total += got
            if got < want { break }
        }
        return total
    }

    /// Replaces the consumed compressed bytes with the next ones; false at the end of the file.
    private func refillCompressed() throws -> Bool {
        compressed.removeAll(keepingCapacity: true)
        compressedStart = 0
        let got = try readRaw(appendingTo: &compressed, maximum: 1 << 18)
        bytesRead += got
        if got == 0 { endOfFile = true }
        return got > 0
    }

    /// Up to `destination.count` decompressed bytes into it (at least one unless at the end).
    private func inflate(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let stream, destination.count > 0 else { return 0 }
        let maximum = destination.count
        var produced = 0
        while produced == 0 {
            if compressedStart == compressed.count {
                if endOfFile { return 0 }
                guard try refillCompressed() else {
                    throw LoomError.badInput(path: path, position: "byte \(bytesRead)", reason: "gzip stream ends early (truncated file)")
                }
            }
            let available = compressed.count - compressedStart
            let status: Int32 = compressed.withUnsafeMutableBufferPointer { input in
                stream.pointee.next_in = input.baseAddress! + compressedStart
                stream.pointee.avail_in = uInt(available)
                stream.pointee.next_out = destination.baseAddress!.assumingMemoryBound(to: UInt8.self) + produced
                stream.pointee.avail_out = uInt(maximum - produced)
                let status = CZlib.inflate(stream, Z_NO_FLUSH)
                produced = maximum - Int(stream.pointee.avail_out)
                return status
            }
            compressedStart += available - Int(stream.pointee.avail_in)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                // Another gzip member may follow; otherwise this was the end.
                if compressedStart == compressed.count, try !refillCompressed() { return produced }
                inflateReset(stream)
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw LoomError.badInput(path: path, position: "byte \(bytesRead)", reason: "corrupt gzip data (\(message))")
            }
        }
        return produced
    }
}
