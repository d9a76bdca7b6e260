import Testing
@testable import LoomCore

@Suite struct ShardTests {
    @Test(arguments: ["0/1", "0/4", "3/4", "7/8"])
    func parsesValidShards(_ text: String) throws {
        let shard = try Shard(parsing: text)
        #expect(shard.description == text)
    }

    @Test(arguments: ["", "1", "4/4", "-1/4", "0/0", "a/b", "1/2/3", "2/ 4"])
    func rejectsInvalidShards(_ text: String) {
        #expect(throws: LoomError.self) { try Shard(parsing: text) }
    }

    @Test func everyKeyFallsInExactlyOneShard() throws {
        let shards = try (0..<5).map { try Shard(index: $0, count: 5) }
        var perShard = [Int](repeating: 0, count: 5)
        for number in 0..<5_000 {
            let key = "B0\(number)"
            let owners = shards.filter { $0.contains(key: key) }
            #expect(owners.count == 1)
            perShard[owners[0].index] += 1
        }
        // FNV-1a spreads keys roughly evenly.
        #expect(perShard.allSatisfy { $0 > 800 && $0 < 1_200 })
    }

    @Test func stableHashIsFixedAcrossRuns() {
        // FNV-1a 64 of "a" — a published test vector; Swift's Hasher would differ per process.
        #expect(Shard.stableHash("a") == 0xaf63_dc4c_8601_ec8c)
    }
}
