import Foundation
import LoomCore
import LoomKernels
#if canImport(Glibc)
import Glibc
#endif

/// `<index>.vectors`: the index's vectors already packed for the search kernel, memory-mapped on
/// the next open instead of read out of SQLite and packed again. Tied to the index by its
/// `content_hash`, dimension and count; a cache that does not match, or is damaged, is ignored
/// and rewritten. Layout: a 128-byte header (magic, version, dim, count, content hash), the
/// packed floats, then the 8-bit codes and the per-row scales and norms of `QuantizedVectors`
/// (little-endian, as this machine stores them).
enum VectorCache {
    static let magic: [UInt8] = Array("LOOMVEC1".utf8)
    static let version: UInt32 = 2
    static let headerBytes = 128

    /// `suffix`: `.vectors` for the fused space, `.text-vectors` for the sentence space.
    static func path(forIndex index: String, suffix: String = ".vectors") -> String { index + suffix }

    /// The packed matrix (mapped) and the rounded vectors (copied) from a valid cache, or nil.
    static func load(index: String, suffix: String = ".vectors", contentHash: String, dim: Int, count: Int) -> (PackedMatrix, QuantizedVectors)? {
        let floatCount = PackedMatrix.storageCount(depth: dim, columns: count)
        let pairs = (dim + 1) / 2, codeCount = (count + 7) / 8 * pairs * 16
        let expected = headerBytes + floatCount * 4 + codeCount + 3 * count * 4
        guard let file = try? MappedFile(path: path(forIndex: index, suffix: suffix)), file.length == expected else { return nil }
        guard header(dim: dim, count: count, contentHash: contentHash) == Array(UnsafeRawBufferPointer(start: file.base, count: headerBytes)) else {
            return nil
        }
        let floats = UnsafeMutableRawPointer(mutating: file.base + headerBytes).assumingMemoryBound(to: Float.self)
        let storage = FloatBuffer(borrowing: floats, count: floatCount, owner: file)
        var at = file.base + headerBytes + floatCount * 4
        let codes = Array(UnsafeBufferPointer(start: at.assumingMemoryBound(to: Int8.self), count: codeCount))
        at += codeCount
        func rowFloats() -> [Float] {
            defer { at += count * 4 }
            return Array(UnsafeBufferPointer(start: at.assumingMemoryBound(to: Float.self), count: count))
        }
        let scales = rowFloats(), roundedNorms = rowFloats(), residualNorms = rowFloats()
        return (PackedMatrix(depth: dim, columns: count, packed: storage),
                QuantizedVectors(count: count, pairs: pairs, codes: codes, scales: scales, roundedNorms: roundedNorms,
                                 residualNorms: residualNorms))
    }

    /// Writes the cache beside the index (to a temporary name, then renamed); a directory that
    /// cannot be written to just means no cache.
    static func save(_ packed: PackedMatrix, _ quantized: QuantizedVectors, index: String, suffix: String = ".vectors", contentHash: String) {
        let target = path(forIndex: index, suffix: suffix)
        let temporary = "\(target).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        // Straight from the buffers, part by part: gathering 100 MB into one Data first doubled
        // the time of an index's first load.
        func put(_ bytes: UnsafeRawBufferPointer) -> Bool {
            var written = 0
            while written < bytes.count {
                let count = write(fd, bytes.baseAddress! + written, bytes.count - written)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                written += count
            }
            return true
        }
        let header = header(dim: packed.depth, count: packed.columns, contentHash: contentHash)
        var complete = header.withUnsafeBytes(put) && put(UnsafeRawBufferPointer(packed.packedValues))
        complete = complete && quantized.codes.withUnsafeBytes(put)
        for values in [quantized.scales, quantized.roundedNorms, quantized.residualNorms] where complete {
            complete = values.withUnsafeBytes(put)
        }
        close(fd)
        if !complete || rename(temporary, target) != 0 { unlink(temporary) }
    }

    static func header(dim: Int, count: Int, contentHash: String) -> [UInt8] {
        var bytes = magic
        withUnsafeBytes(of: version.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(dim).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt64(count).littleEndian) { bytes += $0 }
        bytes += Array(contentHash.utf8.prefix(96))
        bytes += [UInt8](repeating: 0, count: headerBytes - bytes.count)
        return bytes
    }
}
