/// Co-purchase lists without repeats or the item's own asin, first occurrence kept. Lists run to
/// a hundred asins per record and there are three per record: comparing Strings pair by pair (a
/// library call each) or hashing them with SipHash was a fifth of the extraction. Asins are short,
/// so each one becomes a two-word key (its bytes and its length), deduplicated through a small
/// open-addressing table. A list with a longer or non-ASCII string takes the general path (String
/// equality is canonical equivalence, which equals byte equality for ASCII only).
enum AsinList {
    /// Up to 15 ASCII bytes, zero-padded, with the length in the last byte.
    struct ShortKey: Equatable {
        var low: UInt64
        var high: UInt64

        init?(_ text: String) {
            var text = text
            let made: ShortKey? = text.withUTF8 { bytes in
                guard bytes.count <= 15, UTF8Validation.isASCII(bytes) else { return nil }
                var key = ShortKey(low: 0, high: UInt64(bytes.count) << 56)
                withUnsafeMutableBytes(of: &key) { $0.copyMemory(from: UnsafeRawBufferPointer(bytes)) }
                return key
            }
            guard let made else { return nil }
            self = made
        }

        private init(low: UInt64, high: UInt64) {
            self.low = low
            self.high = high
        }

        /// Slot in a table of `mask + 1` slots.
        func slot(_ mask: Int) -> Int {
            Int(truncatingIfNeeded: ((low ^ (high &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9) >> 40) & mask
        }
    }

    static func unique(_ values: [String], excluding asin: String) -> [String] {
        guard !values.isEmpty else { return [] }
        var capacity = 8
        while capacity < values.count * 2 { capacity <<= 1 }
        var table = [ShortKey?](repeating: nil, count: capacity)
        var kept: [String] = []
        kept.reserveCapacity(values.count)
        let own = ShortKey(asin)
        for value in values {
            guard let key = ShortKey(value) else { return general(values, excluding: asin) }
            if key == own { continue }
            var slot = key.slot(capacity - 1)
            var seen = false
            while let occupant = table[slot] {
                if occupant == key {
                    seen = true
                    break
                }
                slot = (slot + 1) & (capacity - 1)
            }
            if seen { continue }
            table[slot] = key
            kept.append(value)
        }
        return kept
    }

    /// Any strings: a Set of the Strings themselves.
    static func general(_ values: [String], excluding asin: String) -> [String] {
        var seen = Set<String>()
        return values.filter { $0 != asin && seen.insert($0).inserted }
    }
}
