import Foundation
import LoomTestSupport
import Testing
@testable import LoomCore

/// Input files are hashed with the system's XXH3-128, so what `meta` records must be what
/// `xxhsum -H2` (Debian package xxhash, installed by `make deps`) prints for the same file, at
/// every length around XXH3's internal sizes, and however the bytes reach the hasher.
@Suite struct FileContentHasherTests {
    /// `xxhsum -H2 path`, as recorded in `meta`.
    static func xxhsum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xxhsum")
        process.arguments = ["-H2", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let line = String(decoding: data, as: UTF8.self)
        return "xxh3-128:" + (line.split(separator: " ").first.map(String.init) ?? "")
    }

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    static func hash(_ bytes: [UInt8], pieces: [Int]) -> String {
        let hasher = FileContentHasher()
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

    @Test func recordedHashIsWhatXxhsumPrints() throws {
        let directory = TemporaryDirectory()
        // XXH3 reads inputs up to 16, 128 and 240 bytes by separate paths, longer ones in
        // 64-byte stripes and 1 KiB blocks; a 3 MB file crosses ContentHash's 1 MiB reads.
        let lengths = [0, 1, 3, 16, 17, 128, 129, 240, 241, 1023, 1024, 1025, 65_536 + 77, 3_000_001]
        for length in lengths {
            let path = directory.file("data-\(length)")
            try Data(Self.randomBytes(length, seed: UInt64(length))).write(to: URL(fileURLWithPath: path))
            #expect(try ContentHash.file(atPath: path) == Self.xxhsum(path), "length \(length)")
        }
        // XXH3-128 of no bytes, as published with xxHash.
        #expect(try ContentHash.file(atPath: directory.file("data-0")) == "xxh3-128:99aa06d3014798d86001c324468d497f")
    }

    @Test func piecesOfAnySizeGiveTheSameDigest() {
        let bytes = Self.randomBytes(10_000, seed: 3)
        let whole = Self.hash(bytes, pieces: [])
        var random = SeededRandom(seed: 5)
        for _ in 0..<50 {
            let pieces = (0..<40).map { _ in Int(random.next() % 700) }
            #expect(Self.hash(bytes, pieces: pieces) == whole)
        }
        #expect(Self.hash(bytes, pieces: Array(repeating: 1, count: 10_000)) == whole)
        #expect(whole != Self.hash(Array(bytes.dropLast()), pieces: []))
    }
}
