import Testing
@testable import LoomCore

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
