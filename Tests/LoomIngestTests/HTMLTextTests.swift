import CLoomKernels
import LoomCore
import Testing
@testable import LoomIngest

@Suite struct HTMLTextTests {
    @Test(arguments: [
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("<b>Style:</b> tailored<br/>Machine wash", "Style: tailored Machine wash"),
        ("one<br>two<p>three</p>", "one two three"),
        ("<b>Bold</b>face", "Boldface"),
        ("a&nbsp;&nbsp;b", "a b"),
        ("caf&eacute; &#233; &#xE9;", "café é é"),
        ("  spaced \n\t out  ", "spaced out"),
        ("I <3 this & that", "I <3 this & that"),
        ("&unknown; stays", "&unknown; stays"),
        ("x &lt;b&gt; y", "x <b> y"),
        ("<div class=\"a>b\">in</div>", "in"),
        ("zero\u{200B}width stays", "zero\u{200B}width stays"),
        ("", ""),
    ])
    func plainText(_ html: String, _ expected: String) {
        #expect(HTMLText.plain(html) == expected)
    }

    /// The byte loop the AVX2 run kernel replaces: plain bytes, and single spaces between two.
    static func plainRun(_ bytes: [UInt8]) -> Int {
        func isPlain(_ byte: UInt8) -> Bool {
            !(byte <= 0x20 || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "&") || byte == 0x7F || byte == 0xC2 || (0xE1...0xE3).contains(byte))
        }
        guard let first = bytes.first, isPlain(first) else { return 0 }
        var index = 1
        while index < bytes.count {
            if isPlain(bytes[index]) {
                index += 1
            } else if bytes[index] == 0x20, index + 1 < bytes.count, isPlain(bytes[index + 1]) {
                index += 2
            } else {
                break
            }
        }
        return index
    }

    /// Every length across the 32-byte steps, with a run ending at every position and in every
    /// way (each kind of non-plain byte, a double space, a space before a non-plain byte or at
    /// the end).
    @Test func plainRunKernelAgreesWithTheByteLoop() {
        let ends: [[UInt8]] = [[0x20, 0x20], [0x20, 0x3C], [0x20], [0x0A], [0x3C], [0x26], [0x7F], [0xC2, 0xA0], [0xE1], [0xE2], [0xE3], [0x00], [0x20, 0xE2]]
        let fill: [UInt8] = Array("ab cd\u{E9}f-g.h".utf8)
        for length in 0..<100 {
            let plainText = (0..<length).map { fill[$0 % fill.count] }
            #expect(loom_plain_text_run(plainText, plainText.count) == Self.plainRun(plainText), "length \(length)")
            for position in 0...length {
                for end in ends {
                    let text = Array(plainText.prefix(position)) + end + Array(plainText.dropFirst(position))
                    let kernel = loom_plain_text_run(text, text.count)
                    #expect(kernel == Self.plainRun(text), "\(text)")
                }
            }
        }
        var random = SeededRandom(seed: 9)
        let alphabet: [UInt8] = [0x61, 0x62, 0x20, 0x20, 0x0A, 0x3C, 0x26, 0x7F, 0xC2, 0xE1, 0xE3, 0xE4, 0xC3, 0xA9, 0x21, 0x1F]
        for _ in 0..<20_000 {
            let text = (0..<Int(random.next() % 90)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            #expect(loom_plain_text_run(text, text.count) == Self.plainRun(text))
        }
    }

    /// Text that is plain already comes back without being rebuilt; that shortcut must agree with
    /// the general path on any text, plain or not.
    @Test func shortcutForPlainTextAgreesWithTheGeneralPath() {
        let pieces = ["a", "Z", "é", " ", "  ", "\n", "\t", "<", "<b>", "&amp;", "&", "\u{A0}", "\u{3000}", "-", ".", "日", "\u{7F}"]
        var random = SeededRandom(seed: 5)
        var plainAlready = 0
        for _ in 0..<5_000 {
            let text = (0..<Int(random.next() % 12)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            var copy = text
            let general = copy.withUTF8 { HTMLText.cleaned(utf8: $0) }
            #expect(HTMLText.plain(text) == general, "\(Array(text.utf8))")
            copy.withUTF8 { #expect(HTMLText.plain(utf8: $0) == general) }
            if general == text { plainAlready += 1 }
        }
        #expect(plainAlready > 500, "enough plain texts to exercise the shortcut")
    }
}
