import Foundation

/// The `negatives` column of `triplets.sqlite`'s `triplets`: item ids as little-endian int32,
/// one after another (k ids in 4k bytes; a catalog of 20M edges makes tens of millions of rows).
public enum NegativesBlob {
    /// Appends the ids to `data`. Inlinable, so that it is specialised where it is called: the
    /// triplets stage encodes tens of millions of rows.
    @inlinable
    public static func encode<S: Sequence>(_ ids: S, into data: inout Data) where S.Element == Int64 {
        for id in ids {
            withUnsafeBytes(of: Int32(truncatingIfNeeded: id).littleEndian) { data.append(contentsOf: $0) }
        }
    }

    /// The ids of a blob; trailing bytes short of a whole id are ignored.
    public static func decode(_ data: Data) -> [Int64] {
        data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        }
    }
}
