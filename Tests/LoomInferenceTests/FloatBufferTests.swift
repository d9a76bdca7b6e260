import Foundation
import LoomKernels
import Testing

/// FloatBuffer's memory: small buffers 64-byte aligned, large ones whole huge pages that the
/// kernel backs with huge pages where transparent huge pages are on (`madvise` or `always`).
@Suite struct FloatBufferTests {
    @Test func smallBuffersAreCacheLineAlignedAndZeroed() {
        let buffer = FloatBuffer(count: 1000)
        #expect(Int(bitPattern: buffer.pointer) % 64 == 0)
        #expect((0..<1000).allSatisfy { buffer[$0] == 0 })
    }

    @Test func largeBuffersAreHugePagesOnceTouched() throws {
        let count = 3 * FloatBuffer.hugePage / 4 + 5   // 6 MB and a little: four 2 MB pages, the last one partly used
        let buffer = FloatBuffer(count: count)
        let address = Int(bitPattern: buffer.pointer)
        #expect(address % FloatBuffer.hugePage == 0)
        #expect(buffer[0] == 0 && buffer[count - 1] == 0)
        buffer[count - 1] = 7
        #expect(buffer[count - 1] == 7)
        let mode = Self.read("/sys/kernel/mm/transparent_hugepage/enabled") ?? "[never]"
        guard !mode.contains("[never]") else { return }
        // The mapping that holds the buffer, as /proc/self/smaps reports it.
        let smaps = try #require(Self.read("/proc/self/smaps"))
        var inside = false, hugeKilobytes: Int?
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
               let start = Int(line[..<dash], radix: 16), let end = Int(line[line.index(after: dash)..<space], radix: 16) {
                inside = start <= address && address < end
            } else if inside, line.hasPrefix("AnonHugePages:") {
                hugeKilobytes = Int(line.split(separator: " ")[1])
            }
        }
        let huge = try #require(hugeKilobytes, "no mapping holds the buffer")
        #expect(huge >= 2048, "transparent huge pages are \(mode): the buffer's mapping has \(huge) kB of them")
    }

    /// A kernel file read to its end (they report a size of 0).
    static func read(_ path: String) -> String? {
        FileHandle(forReadingAtPath: path).map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) }
    }
}
