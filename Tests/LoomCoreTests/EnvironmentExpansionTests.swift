import Testing
@testable import LoomCore

@Suite struct EnvironmentExpansionTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("${A}", "1"),
        ("x${A}y${B}z", "x1y2z"),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-used}", "used"),
        ("${A:-unused}", "1"),
    ])
    func expands(_ input: String, _ expected: String) throws {
        let environment = ["A": "1", "B": "2", "EMPTY": ""]
        #expect(try EnvironmentExpansion.expand(input, environment: environment) == expected)
    }

    @Test(arguments: ["${MISSING}", "${unterminated", "${}", "${BAD-NAME}"])
    func refuses(_ input: String) {
        #expect(throws: LoomError.self) { try EnvironmentExpansion.expand(input, environment: [:]) }
    }
}
