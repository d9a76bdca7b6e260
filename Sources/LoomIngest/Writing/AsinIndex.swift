import CXXHash

/// Every asin given an id, by the XXH3-128 hash of its bytes: co-purchase targets are resolved
/// against it at the end of ingest without a lookup in SQLite each (1.15 million targets per
/// 100,000 items cost a third of ingest that way). Memory is the hash and the id per item, about
/// 40 bytes with the table's room: 110 MB at 2.7 million items. Two asins with one hash would
/// take 2^64 asins to expect; Loom takes XXH3-128 equality as identity for file contents too.
struct AsinIndex {
    private struct Key: Hashable {
        var low: UInt64
        var high: UInt64
    }

    private var ids: [Key: Int64] = [:]

    private static func key(_ asin: UnsafeBufferPointer<UInt8>) -> Key {
        let hash = XXH3_128bits(asin.baseAddress, asin.count)
        return Key(low: hash.low64, high: hash.high64)
    }

    mutating func insert(_ asin: String, id: Int64) {
        var asin = asin
        asin.withUTF8 { ids[Self.key($0)] = id }
    }

    func id(of asin: UnsafeBufferPointer<UInt8>) -> Int64? {
        ids[Self.key(asin)]
    }

    func id(of asin: String) -> Int64? {
        var asin = asin
        return asin.withUTF8 { id(of: $0) }
    }

    var count: Int { ids.count }
}
