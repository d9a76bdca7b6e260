import Foundation
import LoomTestSupport
import Testing

/// The index in the tools people already use: sqlite-vec's `vec_distance_cosine` over the
/// `vectors` blobs, in the `sqlite3` shell, gives `loom query`'s answers in its order wherever
/// adjacent scores differ by more than 1e-6. Called from the sample run's test (its index).
extension CommandLineTests {
    func sqliteVecAnswersLikeLoomQuery(_ index: String) throws {
        let locate = try Self.capture("/usr/bin/env", ["python3", "-c", "import sqlite_vec; print(sqlite_vec.loadable_path())"])
        guard locate.status == 0, let extensionPath = locate.stdout.split(separator: "\n").first.map(String.init) else {
            Issue.record("the sqlite-vec Python package is not installed (make test installs it): \(locate.stdout)")
            return
        }
        var queries = ["B0EU1LAAXS"]
        while let asin = queries.popLast() {
            let loom = try loom(["query", "--index", index, "--asin", asin, "--k", "12", "--json"])
            try #require(loom.status == 0, "\(loom.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(loom.stdout.utf8)) as? [String: Any]
            let answers = try #require(object?["results"] as? [[String: Any]]).map { ($0["asin"] as! String, $0["score"] as! Double) }
            let sql = """
                SELECT asin, vec_distance_cosine(vector, (SELECT vector FROM vectors JOIN items USING(id) WHERE asin = '\(asin)')) AS d
                FROM vectors JOIN items USING(id) WHERE asin != '\(asin)' ORDER BY d LIMIT 12
                """
            let shell = try Self.capture("/usr/bin/env", ["sqlite3", index, ".load \(extensionPath)", sql])
            try #require(shell.status == 0, "sqlite3: \(shell.stdout)")
            let rows = shell.stdout.split(separator: "\n").map { line -> (String, Double) in
                let fields = line.split(separator: "|")
                return (String(fields[0]), 1 - (Double(fields[1]) ?? .nan))
            }
            try #require(rows.count == 12 && answers.count == 12)
            if asin == "B0EU1LAAXS" { queries.append(answers[11].0) }   // and an item of another neighbourhood
            // Runs of answers whose adjacent scores are within 1e-6 may come in either order;
            // compare them as sets, and only runs that end inside the top 10.
            var start = 0
            while start < 10 {
                var end = start + 1
                while end < answers.count, abs(answers[end - 1].1 - answers[end].1) <= 1e-6 { end += 1 }
                if end < answers.count {
                    #expect(Set(answers[start..<end].map(\.0)) == Set(rows[start..<end].map(\.0)), "\(asin): answers \(start + 1)-\(end)")
                }
                for position in start..<end { #expect(abs(answers[position].1 - rows[position].1) < 1e-5, "\(asin) #\(position + 1) score") }
                start = end
            }
        }
    }

    static func capture(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
