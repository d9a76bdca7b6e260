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
}
