import Testing
@testable import LoomSampleData

@Suite struct PythonLiteralTests {
    /// Expected strings are what CPython's repr() prints for the same values.
    @Test(arguments: [
        ("plain", "'plain'"),
        ("Women's Tee", "\"Women's Tee\""),
        ("a \"quoted\" word", "'a \"quoted\" word'"),
        ("It's \"both\"", "'It\\'s \"both\"'"),
        ("line\nbreak", "'line\\nbreak'"),
        ("back\\slash", "'back\\\\slash'"),
        ("café", "'café'"),
    ])
    func quotesLikeRepr(_ value: String, _ expected: String) {
        #expect(PythonLiteral.quote(value) == expected)
    }

    @Test func writesNestedValues() {
        let value = OrderedJSON.object([("asin", .string("B01")), ("related", .object([("also_bought", .strings(["B02"]))])),
                                        ("price", .number(9.99)), ("none", .null), ("flag", .bool(true))])
        #expect(PythonLiteral.text(value) == "{'asin': 'B01', 'related': {'also_bought': ['B02']}, 'price': 9.99, 'none': None, 'flag': True}")
    }
}
