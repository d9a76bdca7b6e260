import CLoomKernels
import LoomCore
import Testing

/// The 64-byte string skipper against a byte-by-byte reading of the same rule, on strings made
/// of quotes, backslashes and letters (runs of backslashes across block edges included).
@Suite struct JSONStringEndTests {
    static func reference(_ bytes: [UInt8]) -> Int {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
            if bytes[index] == UInt8(ascii: "\"") { return index }
            index += 1
        }
        return bytes.count
    }

    /// Whether a control byte comes before the closing quote (an escaped one included).
    static func referenceControl(_ bytes: [UInt8]) -> Bool {
        bytes[..<min(reference(bytes), bytes.count)].contains { $0 < 0x20 }
    }

    static func scan(_ bytes: [UInt8]) -> (end: Int, control: Bool) {
        var control: Int32 = 0
        let end = bytes.withUnsafeBufferPointer { loom_json_string_end($0.baseAddress, $0.count, &control) }
        let unflagged = bytes.withUnsafeBufferPointer { loom_json_string_end($0.baseAddress, $0.count, nil) }
        #expect(unflagged == end)
        return (end, control != 0)
    }

    @Test func findsTheSameClosingQuoteAsAByteByByteScan() {
        var random = SeededRandom(seed: 9)
        let alphabet: [UInt8] = Array("ab\\\\\\\"n u\t\n".utf8) + [0x01, 0x1F]
        var checked = 0
        var controls = 0
        for length in [0, 1, 2, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 257] {
            for _ in 0..<400 {
                // Mostly letters, with backslash runs and quotes, so that every case turns up.
                let bytes = (0..<length).map { _ in random.next() % 4 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : UInt8(ascii: "x") }
                let found = Self.scan(bytes)
                #expect(found.end == Self.reference(bytes), "\(String(decoding: bytes, as: UTF8.self))")
                #expect(found.control == Self.referenceControl(bytes), "\(String(decoding: bytes, as: UTF8.self))")
                if found.control { controls += 1 }
                checked += 1
            }
        }
        // Backslash runs of every length ending at every position around a block edge (64 bytes),
        // after a run that resolves itself (escaping a quote when it is odd).
        for run in 1...6 {
            for end in 50...80 {
                for before in [0, 1, 2, 3] {
                    var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 100)
                    for i in (end - run)..<end { bytes[i] = UInt8(ascii: "\\") }
                    // An escaped backslash pair (or a lone escaped quote) a little earlier.
                    for i in (end - run - 2 - before)..<(end - run - 2) { bytes[i] = UInt8(ascii: "\\") }
                    if before % 2 == 1 { bytes[end - run - 2] = UInt8(ascii: "\"") }
                    bytes[end] = UInt8(ascii: "\"")
                    bytes[90] = UInt8(ascii: "\"")
                    let found = Self.scan(bytes).end
                    #expect(found == Self.reference(bytes), "run \(run) ending at \(end), \(before) before")
                    #expect(found == (run % 2 == 0 ? end : 90), "run \(run) ending at \(end), \(before) before")
                    checked += 1
                }
            }
        }
        #expect(checked > 4000)
        #expect(controls > 500 && controls < checked - 500)
    }

    /// A control byte right before or after the closing quote, at every offset around a block edge.
    @Test func notesControlBytesBeforeTheQuoteOnly() {
        for quote in 0..<140 {
            for at in max(0, quote - 2)...(quote + 2) where at != quote && at < 150 {
                var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 150)
                bytes[quote] = UInt8(ascii: "\"")
                bytes[at] = 0x09
                let found = Self.scan(bytes)
                #expect(found.end == quote)
                #expect(found.control == (at < quote), "tab at \(at), quote at \(quote)")
            }
        }
    }
}
