import LoomCore

/// Which split an item belongs to. Items, not pairs, are split, by a hash of the asin and the
/// seed, so the same item lands in the same split in every stage, run and shard.
public struct ItemSplit: Sendable, Equatable, Codable {
    public enum Part: String, Sendable, CaseIterable, Codable {
        case train, valid, test
    }

    public var seed: UInt64
    public var trainFraction: Double
    public var validFraction: Double

    public init(seed: UInt64, trainFraction: Double = 0.8, validFraction: Double = 0.1) {
        self.seed = seed
        self.trainFraction = trainFraction
        self.validFraction = validFraction
    }

    public func part(of asin: String) -> Part {
        var random = SeededRandom(seed: seed, key: "split:\(asin)")
        let draw = random.unit()
        if draw < trainFraction { return .train }
        return draw < trainFraction + validFraction ? .valid : .test
    }
}
