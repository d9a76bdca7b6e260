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

    /// The fractions the text and triplets stages split by when a pipeline names none: the word
    /// vocabulary is built from the same training items that triplets trains on.
    public static let defaultTrainFraction = 0.8
    public static let defaultValidFraction = 0.1

    public init(seed: UInt64, trainFraction: Double = defaultTrainFraction, validFraction: Double = defaultValidFraction) {
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
