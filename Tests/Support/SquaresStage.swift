import Foundation
import GRDB
import LoomCore

/// A small but real stage for testing the runner: reads an optional text file of integers
/// (one per line; a line that is not an integer is a reject), or counts 0..<rows, and writes
/// `squares(id, value)`. `delay_ms` slows it down so a test can kill it half-way.
public struct SquaresStage: Stage {
    public struct Settings: StageSettings {
        public var rows: Int
        public var source: String?
        public var delayMilliseconds: Int
        public var offset: Int
        public var maxRejectRatio: Double

        public static let defaults = Settings(rows: 100, source: nil, delayMilliseconds: 0, offset: 0, maxRejectRatio: 0.05)

        public init(rows: Int, source: String?, delayMilliseconds: Int, offset: Int, maxRejectRatio: Double) {
            self.rows = rows
            self.source = source
            self.delayMilliseconds = delayMilliseconds
            self.offset = offset
            self.maxRejectRatio = maxRejectRatio
        }

        enum CodingKeys: String, CodingKey {
            case rows, source, offset
            case delayMilliseconds = "delay_ms"
            case maxRejectRatio = "max_reject_ratio"
        }
    }

    public static let name = "squares"
    public static let outputFileName = "squares.sqlite"

    public init() {}

    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        settings.source.map { [.file(label: "source", path: $0)] } ?? []
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        var numbers: [(line: Int, text: String)] = []
        if let source = settings.source {
            guard let text = try? String(contentsOfFile: source, encoding: .utf8) else {
                throw LoomError.inputMissing(path: source, reason: "cannot read")
            }
            numbers = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                .filter { !$0.element.isEmpty }.map { ($0.offset + 1, String($0.element)) }
        } else {
            numbers = (0..<settings.rows).map { ($0 + 1, String($0)) }
        }
        try output.database.write { db in
            try db.execute(sql: "CREATE TABLE squares (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        }
        var written = 0
        for (line, text) in numbers {
            guard let number = Int(text) else {
                output.rejects.record(source: settings.source ?? "-", position: "line \(line)",
                                      reason: RejectReason("not_an_integer"), detail: "'\(text)'")
                continue
            }
            try output.database.write { db in
                try db.execute(sql: "INSERT INTO squares (id, value) VALUES (?, ?)",
                               arguments: [number, number * number + settings.offset])
            }
            written += 1
            if settings.delayMilliseconds > 0 {
                if written == 1 { print("first row written", to: &StandardError.stream) }
                usleep(UInt32(settings.delayMilliseconds) * 1000)
            }
        }
        return StageResult(records: numbers.count, counts: ["squares": written], unit: "numbers")
    }
}

extension SquaresStage {
    /// The `value` column of a squares output, in id order.
    public static func values(in path: String) throws -> [Int] {
        let queue = try StageOutputReader.open(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try Int.fetchAll(db, sql: "SELECT value FROM squares ORDER BY id") }
    }
}

/// stderr as a TextOutputStream.
public struct StandardError: TextOutputStream {
    nonisolated(unsafe) public static var stream = StandardError()
    public mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
