import Foundation
import LoomTestSupport
import Testing
@testable import LoomCore

@Suite struct LineReaderTests {
    func lines(_ path: String) throws -> [String] {
        let reader = try LineReader(path: path)
        var result: [String] = []
        while let line = try reader.next() { result.append(String(decoding: line, as: UTF8.self)) }
        return result
    }

    func gzip(_ text: String, _ directory: TemporaryDirectory, name: String) throws -> String {
        let plain = directory.file(name)
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-n", "-f", plain]
        try process.run()
        process.waitUntilExit()
        return plain + ".gz"
    }

    @Test func readsPlainLinesWithCRLFAndNoFinalNewline() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("a.jsonl")
        try "one\r\ntwo\n\nlast".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try lines(path) == ["one", "two", "", "last"])
    }

    @Test func gunzipsByMagicAndCountsLines() throws {
        let directory = TemporaryDirectory()
        let text = (0..<50_000).map { "line \($0) " + String(repeating: "x", count: $0 % 97) }.joined(separator: "\n") + "\n"
        let path = try gzip(text, directory, name: "big.json")
        let reader = try LineReader(path: path)
        var count = 0
        var last = ""
        while let line = try reader.next() {
            count += 1
            last = String(decoding: line, as: UTF8.self)
        }
        #expect(count == 50_000)
        #expect(reader.lineNumber == 50_000)
        #expect(last.hasPrefix("line 49999 "))
    }

    @Test func readsConcatenatedGzipMembers() throws {
        let directory = TemporaryDirectory()
        let first = try Data(contentsOf: URL(fileURLWithPath: try gzip("a\nb\n", directory, name: "1")))
        let second = try Data(contentsOf: URL(fileURLWithPath: try gzip("c\n", directory, name: "2")))
        let path = directory.file("both.gz")
        try (first + second).write(to: URL(fileURLWithPath: path))
        #expect(try lines(path) == ["a", "b", "c"])
    }

    @Test func truncatedGzipIsBadInputNotACrash() throws {
        let directory = TemporaryDirectory()
        let text = (0..<5_000).map { "row \($0) with some text to compress" }.joined(separator: "\n")
        let full = try Data(contentsOf: URL(fileURLWithPath: try gzip(text, directory, name: "t")))
        let path = directory.file("truncated.gz")
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try lines(path)
        } throws: { error in
            guard case LoomError.badInput(let badPath, _, let reason) = error else { return false }
            return badPath == path && reason.contains("truncated")
        }
    }

    @Test func missingFileIsInputMissing() {
        #expect {
            _ = try LineReader(path: "/nonexistent/catalog.json.gz")
        } throws: { error in
            (error as? LoomError)?.exitStatus == .inputMissing
        }
    }
}
