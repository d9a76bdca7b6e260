import Foundation
import LoomKernels
import Testing

/// FloatBuffer's memory: small buffers 64-byte aligned, large ones whole huge pages that the
/// kernel backs with huge pages where transparent huge pages are on (`madvise` or `always`, and
/// not turned off for the process).
@Suite struct FloatBufferTests {
    @Test func smallBuffersAreCacheLineAlignedAndZeroed() {
        let buffer = FloatBuffer(count: 1000)
        #expect(Int(bitPattern: buffer.pointer) % 64 == 0)
        #expect((0..<1000).allSatisfy { buffer[$0] == 0 })
    }

    @Test func largeBuffersAreHugePagesOnceTouched() throws {
        // 40 MB and a little: above glibc's largest mmap threshold (32 MB), so freshly mapped
        // whatever earlier tests freed; the last 2 MB page is partly used.
        let count = 20 * FloatBuffer.hugePage / 4 + 5
        let buffer = FloatBuffer(count: count)
        let address = UInt(bitPattern: buffer.pointer)
        #expect(address % UInt(FloatBuffer.hugePage) == 0)
        #expect(buffer[0] == 0 && buffer[count - 1] == 0)
        buffer[count - 1] = 7
        #expect(buffer[count - 1] == 7)
        // The mapping that holds the buffer, as /proc/self/smaps reports it.
        let smaps = try #require(Self.read("/proc/self/smaps"))
        var inside = false, hugeKilobytes: Int?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            let range = fields.first?.split(separator: "-") ?? []
            if range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) {
                inside = start <= address && address < end
            } else if inside, line.hasPrefix("AnonHugePages:") {
                hugeKilobytes = Int(line.split(separator: " ")[1])
            }
        }
        let huge = try #require(hugeKilobytes, "no mapping holds the buffer")
        // Transparent huge pages off (`never`, or for this process): the advice cannot be followed.
        let mode = Self.read("/sys/kernel/mm/transparent_hugepage/enabled") ?? "[never]"
        let status = Self.read("/proc/self/status") ?? ""
        guard !mode.contains("[never]"), !status.contains("THP_enabled:\t0") else { return }
        #expect(huge >= 2048, "transparent huge pages are \(mode): the buffer's mapping has \(huge) kB of them")
    }

    /// A kernel file read to its end (they report a size of 0).
    static func read(_ path: String) -> String? {
        FileHandle(forReadingAtPath: path).map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) }
    }
}
