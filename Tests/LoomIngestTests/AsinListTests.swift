import LoomCore
import Testing
@testable import LoomIngest

/// The co-purchase list filter against the plain rule: first occurrences in order, without the
/// item's own asin, String equality deciding what repeats.
@Suite struct AsinListTests {
    static func reference(_ values: [String], excluding asin: String) -> [String] {
        var kept: [String] = []
        for value in values where value != asin && !kept.contains(value) { kept.append(value) }
        return kept
    }

    @Test func keepsFirstOccurrencesWithoutTheOwnAsin() {
        var random = SeededRandom(seed: 12)
        // A small pool, so lists repeat; short, 15- and 16-byte, empty and non-ASCII entries (the
        // last two spellings of é are canonically equivalent, so String calls them equal).
        let pool = ["B00AAA", "B00AAB", "B00AAA ", "", "a", "B0123456789ABCD", "B0123456789ABCDE", "B0123456789ABCDF",
                    "C12-B000ALEVA01", "C12-B000ALEVA02", "caf\u{E9}", "cafe\u{301}"]
        var checked = 0
        for length in [0, 1, 2, 5, 40, 64, 65, 97, 300] {
            for _ in 0..<60 {
                let asin = pool[Int(random.next() % UInt64(pool.count))]
                let onlyShort = random.next() % 2 == 0
                let choices = onlyShort ? Array(pool.prefix(6)) : pool
                let values = (0..<length).map { _ in choices[Int(random.next() % UInt64(choices.count))] }
                #expect(AsinList.unique(values, excluding: asin) == Self.reference(values, excluding: asin), "\(values) without \(asin)")
                checked += 1
            }
        }
        // Many distinct short asins: the table fills and probes.
        let many = (0..<500).map { "B\(String($0 * 7919 % 100_000))" }
        #expect(AsinList.unique(many + many.reversed(), excluding: many[3]) == Self.reference(many, excluding: many[3]))
        #expect(AsinList.unique(["caf\u{E9}", "cafe\u{301}"], excluding: "x") == ["caf\u{E9}"])
        #expect(checked == 540)
    }
}
