import Foundation
import Testing
@testable import LoomCore

/// The file hash is the vectorised C kernel; it must equal the algorithm as written out plainly
/// below (so a compiler or refactoring slip cannot change what `meta` records), give the same
/// digest however the bytes arrive, and see every kind of change a file can undergo.
@Suite struct FileContentHasherTests {
    /// The algorithm, one word at a time: keys are splitmix64 outputs seeded with "LOOM"; each
    /// 64-byte stripe s of a 1 KiB block adds, per 8-byte word i, (w ^ key[s+i]) low half times
    /// high half to lane i and w to lane i^1; each full block ends with a per-lane scramble; the
    /// tail is zero-padded; two folded 128-bit products per half, with the length, then Murmur3's
    /// finaliser.
    static func reference(_ bytes: [UInt8]) -> String {
        var state: UInt64 = 0x4C4F_4F4D
        let keys: [UInt64] = (0..<56).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var lanes = Array(keys[48..<56])
        func word(_ at: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(at + $1 < bytes.count ? bytes[at + $1] : 0) << (8 * UInt64($1)) }
        }
        func stripe(at offset: Int, index: Int) {
            for i in 0..<8 {
                let w = word(offset + 8 * i), keyed = w ^ keys[index + i]
                lanes[i] &+= (keyed & 0xFFFF_FFFF) &* (keyed >> 32)
                lanes[i ^ 1] &+= w
            }
        }
        let wholeBlocks = bytes.count / 1024
        for block in 0..<wholeBlocks {
            for s in 0..<16 { stripe(at: block * 1024 + 64 * s, index: s) }
            for i in 0..<8 {
                var lane = lanes[i]
                lane ^= lane >> 47
                lane ^= keys[24 + i]
                lanes[i] = lane &* 0x9E37_79B1
            }
        }
        let tail = bytes.count - wholeBlocks * 1024
        for s in 0..<(tail + 63) / 64 { stripe(at: wholeBlocks * 1024 + 64 * s, index: s) }
        func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let product = a.multipliedFullWidth(by: b)
            return product.low ^ product.high
        }
        func avalanche(_ value: UInt64) -> UInt64 {
            var v = value
            v ^= v >> 33; v &*= 0xFF51_AFD7_ED55_8CCD
            v ^= v >> 33; v &*= 0xC4CE_B9FE_1A85_EC53
            return v ^ (v >> 33)
        }
        let total = UInt64(bytes.count)
        var low = total &* 0x9E37_79B1_85EB_CA87, high = ~total &* 0xC2B2_AE3D_27D4_EB4F
        for i in stride(from: 0, to: 8, by: 2) {
            low &+= fold(lanes[i] ^ keys[32 + i], lanes[i + 1] ^ keys[33 + i])
            high &+= fold(lanes[i] ^ keys[40 + i], lanes[i + 1] ^ keys[41 + i])
        }
        return "loom128:" + String(format: "%016llx%016llx", avalanche(low), avalanche(high))
    }

    static func hash(_ bytes: [UInt8], pieces: [Int] = []) -> String {
        var hasher = FileContentHasher()
        var offset = 0
        bytes.withUnsafeBytes { all in
            for piece in pieces + [bytes.count] where offset < bytes.count {
                let end = min(bytes.count, offset + piece)
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
        return hasher.finalize()
    }

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    @Test func kernelEqualsTheAlgorithmWrittenOut() {
        // Every tail length around the stripe and block edges, and several blocks.
        let lengths = Array(0...200) + [511, 512, 513, 1023, 1024, 1025, 1087, 2047, 2048, 2049, 5000, 65_536 + 77]
        for length in lengths {
            let bytes = Self.randomBytes(length, seed: UInt64(length))
            #expect(Self.hash(bytes) == Self.reference(bytes), "length \(length)")
        }
    }

    @Test func piecesOfAnySizeGiveTheSameDigest() {
        let bytes = Self.randomBytes(10_000, seed: 3)
        let whole = Self.hash(bytes)
        var random = SeededRandom(seed: 5)
        for _ in 0..<50 {
            let pieces = (0..<40).map { _ in Int(random.next() % 700) }
            #expect(Self.hash(bytes, pieces: pieces) == whole)
        }
        #expect(Self.hash(bytes, pieces: Array(repeating: 1, count: 10_000)) == whole)
    }

    @Test func everySingleBitFlipChangesTheDigest() {
        let bytes = Self.randomBytes(2_600, seed: 9)
        var seen: Set<String> = [Self.hash(bytes)]
        for bit in 0..<(bytes.count * 8) {
            var changed = bytes
            changed[bit / 8] ^= 1 << UInt8(bit % 8)
            seen.insert(Self.hash(changed))
        }
        #expect(seen.count == bytes.count * 8 + 1)
    }

    @Test func reorderingAndResizingChangeTheDigest() {
        let bytes = Self.randomBytes(4_096, seed: 13)
        let original = Self.hash(bytes)
        // Two 64-byte stripes of one block swapped; two 1 KiB blocks swapped.
        let stripesSwapped = Array(bytes[64..<128] + bytes[0..<64] + bytes[128...])
        let blocksSwapped = Array(bytes[1024..<2048] + bytes[0..<1024] + bytes[2048...])
        // A zero byte appended (the tail is zero-padded); the last byte dropped.
        let variants = [stripesSwapped, blocksSwapped, bytes + [0], Array(bytes.dropLast()), Array(repeating: 0, count: 4_096)]
        let digests = Set(variants.map { Self.hash($0) } + [original])
        #expect(digests.count == variants.count + 1)
        #expect(Self.hash([]) != Self.hash([0]) && Self.hash([0]) != Self.hash([0, 0]))
    }
}
