import Foundation
import LoomTestSupport
import Testing
@testable import LoomCore

/// The read-ahead thread hands over the same bytes `ByteSource` reads, in order, and hashes the
/// file as `ContentHash.file` does, whatever the block size; errors arrive in order, not lost.
@Suite struct ReadAheadFileTests {
    /// Every block's bytes, concatenated, and the hash once the end is reached.
    func readAll(_ path: String, blockSize: Int, headroom: Int = 16) throws -> (bytes: [UInt8], hash: String?, storedBytes: Int) {
        let file = try ReadAheadFile(path: path, blockSize: blockSize, headroom: headroom)
        var bytes: [UInt8] = []
        while let block = try file.next() {
            #expect(block.start == headroom && block.storage.count > headroom)
            bytes += block.storage[block.start...]
        }
        #expect(try file.next() == nil, "the end stays the end")
        return (bytes, file.contentHash, file.bytesRead)
    }

    func gzip(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-n", "-k", "-f", path]
        try process.run()
        process.waitUntilExit()
        return path + ".gz"
    }

    @Test(arguments: [3, 61, 4096, 1 << 20])
    func blocksJoinToTheFileAndTheHashIsTheFilesHash(blockSize: Int) throws {
        let directory = TemporaryDirectory()
        var random = SeededRandom(seed: 11)
        let content = (0..<60_000).map { _ in UInt8(truncatingIfNeeded: random.next() % 64 + 32) }
        let path = directory.file("data.txt")
        try Data(content).write(to: URL(fileURLWithPath: path))
        let compressed = try gzip(path)
        let plain = try readAll(path, blockSize: blockSize)
        #expect(plain.bytes == content)
        #expect(try plain.hash == ContentHash.file(atPath: path))
        #expect(plain.storedBytes == content.count)
        // A .gz is handed over decompressed, and hashed (and counted) as stored.
        let unzipped = try readAll(compressed, blockSize: blockSize)
        #expect(unzipped.bytes == content)
        #expect(try unzipped.hash == ContentHash.file(atPath: compressed))
        let storedSize = try FileManager.default.attributesOfItem(atPath: compressed)[.size] as? Int
        #expect(unzipped.storedBytes == storedSize)
        // Not hashing changes nothing but the hash.
        let unhashed = try ReadAheadFile(path: compressed, hashing: false, blockSize: blockSize, headroom: 16)
        var bytes: [UInt8] = []
        while let block = try unhashed.next() { bytes += block.storage[block.start...] }
        #expect(bytes == content && unhashed.contentHash == nil && unhashed.bytesRead == storedSize)
    }

    @Test func emptyFileEndsAtOnceWithTheEmptyHash() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("empty")
        try Data().write(to: URL(fileURLWithPath: path))
        let result = try readAll(path, blockSize: 64)
        #expect(try result.bytes.isEmpty && result.hash == ContentHash.file(atPath: path))
    }

    @Test func truncatedGzipIsThrownAfterTheBlocksBeforeIt() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("rows.txt")
        try (0..<20_000).map { "row \($0) with some text to compress" }.joined(separator: "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let full = try Data(contentsOf: URL(fileURLWithPath: try gzip(path)))
        let truncated = directory.file("truncated.gz")
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: truncated))
        let file = try ReadAheadFile(path: truncated, blockSize: 4096)
        var delivered = 0
        #expect {
            while let block = try file.next() { delivered += block.storage.count - block.start }
        } throws: { error in
            guard case LoomError.badInput(let badPath, _, let reason) = error else { return false }
            return badPath == truncated && reason.contains("truncated")
        }
        #expect(delivered > 0, "the blocks read before the damage come first")
        #expect(file.contentHash == nil)
    }

    @Test func missingFileIsInputMissingAtOpen() {
        #expect {
            _ = try ReadAheadFile(path: "/nonexistent/catalog.json.gz")
        } throws: { error in
            (error as? LoomError)?.exitStatus == .inputMissing
        }
    }

    @Test func leavingEarlyStopsTheReader() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("big")
        try Data(repeating: 0x61, count: 1 << 20).write(to: URL(fileURLWithPath: path))
        // The reader thread waits on a full queue; dropping the file must let it finish and close
        // the file, not leave it blocked for ever.
        for _ in 0..<20 {
            let file = try ReadAheadFile(path: path, blockSize: 1024, depth: 1)
            _ = try file.next()
        }
        var open = openDescriptors(of: path)
        for _ in 0..<200 where open > 0 {
            Thread.sleep(forTimeInterval: 0.01)
            open = openDescriptors(of: path)
        }
        #expect(open == 0)
    }

    /// Descriptors of this process that point at `path`.
    func openDescriptors(of path: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path }.count
    }
}
