/// The asins of the catalog, as a fixed-size Bloom filter (8 MB, three probes). At the end of
/// ingest it says which co-purchase targets cannot be catalog items — most of them, as dumps list
/// neighbours from outside the category — so only the rest are looked up in SQLite. A false
/// positive only costs a lookup, and the size is fixed, so memory stays flat: with 10 million
/// asins still 19 of 20 absent ones are turned away.
struct AsinBloomFilter {
    private var words: [UInt64]
    private let mask: UInt64

    /// `bits` must be a power of two (at least 64).
    init(bits: Int = 1 << 26) {
        precondition(bits >= 64 && bits & (bits - 1) == 0, "Bloom filter size must be a power of two")
        words = [UInt64](repeating: 0, count: bits / 64)
        mask = UInt64(bits - 1)
    }

    mutating func insert(_ asin: UnsafeBufferPointer<UInt8>) {
        let (first, step) = Self.hashes(asin)
        words.withUnsafeMutableBufferPointer { words in
            for probe in 0..<3 {
                let bit = (first &+ UInt64(probe) &* step) & mask
                words[Int(bit >> 6)] |= 1 << (bit & 63)
            }
        }
    }

    mutating func insert(_ asin: String) {
        var asin = asin
        asin.withUTF8 { insert($0) }
    }

    func mayContain(_ asin: UnsafeBufferPointer<UInt8>) -> Bool {
        let (first, step) = Self.hashes(asin)
        return words.withUnsafeBufferPointer { words in
            for probe in 0..<3 {
                let bit = (first &+ UInt64(probe) &* step) & mask
                if words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            }
            return true
        }
    }

    /// FNV-1a over the bytes, then two different finalising mixes: the probes are
    /// `first + i·step` (an odd step, so they differ).
    private static func hashes(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return (mix(hash), mix(hash ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The splitmix64 finaliser: spreads every input bit over the whole word.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
