import Foundation
import GRDB
import LoomCore

/// Reads `triplets.sqlite` for training and evaluation: the items' splits, the positive pairs
/// with their negatives, and the fill-in-the-blank questions, in the order the stage wrote them.
public enum TripletsReader {
    /// A row of `triplets`: one positive pair with its sampled negatives.
    public struct Pair: Sendable {
        public var anchor: Int64
        public var positive: Int64
        public var weight: Double
        /// Nil when the row names a split this Loom does not know.
        public var split: ItemSplit.Part?
        public var negatives: [Int64]
    }

    /// A row of `fitb`: the question's anchor, its answer and the candidates (the answer among them).
    public struct Question: Sendable {
        public var anchor: Int64
        public var answer: Int64
        /// Nil when the stored list is not a JSON array of ids.
        public var candidates: [Int64]?
    }

    /// Each item's split, by id; an item whose split this Loom does not know is left out.
    public static func splits(_ triplets: DatabaseQueue) throws -> [Int64: ItemSplit.Part] {
        try triplets.readStored("splits") { db in
            var splits: [Int64: ItemSplit.Part] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT item, split FROM splits")
            while let row = try rows.next() {
                guard let part = ItemSplit.Part(rawValue: try row.stored("split")) else { continue }
                splits[try row.stored("item")] = part
            }
            return splits
        }
    }

    public static func forEachPair(_ triplets: DatabaseQueue, _ body: (Pair) throws -> Void) throws {
        try triplets.readStored("triplets") { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT anchor, positive, weight, split, negatives FROM triplets ORDER BY id")
            while let row = try rows.next() {
                try body(Pair(anchor: try row.stored("anchor"), positive: try row.stored("positive"), weight: try row.stored("weight"),
                              split: ItemSplit.Part(rawValue: try row.stored("split")),
                              negatives: NegativesBlob.decode(try row.stored("negatives"))))
            }
        }
    }

    public static func forEachQuestion(_ triplets: DatabaseQueue, _ body: (Question) throws -> Void) throws {
        try triplets.readStored("fitb") { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT anchor, answer, candidates FROM fitb ORDER BY id")
            while let row = try rows.next() {
                try body(Question(anchor: try row.stored("anchor"), answer: try row.stored("answer"),
                                  candidates: CandidateList.decode(try row.stored("candidates"))))
            }
        }
    }
}
