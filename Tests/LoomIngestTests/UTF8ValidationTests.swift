import LoomCore
import Testing
@testable import LoomIngest

/// The ASCII shortcut in front of UTF-8 validation gives what the standard library's validation
/// gives, with the one non-ASCII byte at every position of every word.
@Suite struct UTF8ValidationTests {
    @Test func agreesWithTheStandardLibrary() {
        var cases: [[UInt8]] = []
        for length in 0...20 {
            let ascii = (0..<length).map { UInt8(0x41 + $0 % 26) }
            cases.append(ascii)
            for position in 0..<length {
                for bad in [[UInt8(0x80)], [0xC3, 0xA9], [0xF0, 0x90, 0x80], [0xE2, 0x80, 0xAF], [0xFF]] {
                    var bytes = ascii
                    bytes.replaceSubrange(position..<(position + 1), with: bad)
                    cases.append(bytes)
                }
            }
        }
        var random = SeededRandom(seed: 21)
        cases += (0..<2000).map { _ in (0..<Int(random.next() % 24)).map { _ in UInt8(truncatingIfNeeded: random.next() % 3 == 0 ? random.next() : 0x61) } }
        var valid = 0, invalid = 0
        for bytes in cases {
            let expected = String(validating: bytes, as: UTF8.self)
            let found = bytes.withUnsafeBufferPointer(UTF8Validation.string)
            #expect(found == expected, "\(bytes)")
            #expect(bytes.withUnsafeBufferPointer(UTF8Validation.isASCII) == bytes.allSatisfy { $0 < 0x80 }, "\(bytes)")
            if expected == nil { invalid += 1 } else { valid += 1 }
        }
        #expect(valid > 500 && invalid > 500)
    }
}
