import Foundation

/// The `negatives` column of `triplets.sqlite`'s `triplets`: item ids as little-endian int32,
/// one after another (k ids in 4k bytes; a catalog of 20M edges makes tens of millions of rows).
public enum NegativesBlob {
    /// Appends the ids to `data`, stored in place. Inlinable, so that it is specialised where it
    /// is called: the triplets stage encodes tens of millions of rows.
    @inlinable
    public static func encode<C: Collection>(_ ids: C, into data: inout Data) where C.Element == Int64 {
        let start = data.count
        data.count += 4 * ids.count
        data.withUnsafeMutableBytes { raw in
            var offset = start
            for id in ids {
                raw.storeBytes(of: Int32(truncatingIfNeeded: id).littleEndian, toByteOffset: offset, as: Int32.self)
                offset += 4
            }
        }
    }

    /// The ids of a blob; trailing bytes short of a whole id are ignored.
    public static func decode(_ data: Data) -> [Int64] {
        data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        }
    }
}
