import LoomCore
import LoomFormats

/// Settings of the triplets stage (`stages.triplets` in a pipeline file).
public struct TripletSettings: StageSettings {
    public enum NegativeStrategy: String, Codable, Sendable, CaseIterable {
        /// Negatives of the positive's coarse type: the model cannot win by type alone.
        case compatibleType = "compatible_type"
        /// Any item of the split.
        case random
    }

    /// Edge kinds that make positive pairs (also_viewed is a substitute signal: off by default).
    public var kinds: [EdgeKind]
    /// Unordered pairs of coarse types that make an outfit; every other pair is dropped.
    public var compatible: [[String]]
    /// Factors multiplied into each triplet's weight: uniform, frequency, reciprocal, idf.
    public var weights: [PairWeight]
    public var negativesPerPositive: Int
    public var negatives: NegativeStrategy
    public var trainFraction: Double
    public var validFraction: Double
    /// Wrong candidates per fill-in-the-blank question.
    public var fitbCandidates: Int
    public var maxRejectRatio: Double


    /// Outfit partners in Amazon's Clothing, Shoes & Jewelry tree; `other` goes with nothing.
    public static let defaultCompatible: [[String]] = [
        ["top", "bottom"], ["top", "outerwear"], ["top", "shoes"], ["top", "bag"], ["top", "accessory"], ["top", "jewelry"],
        ["bottom", "outerwear"], ["bottom", "shoes"], ["bottom", "bag"], ["bottom", "accessory"], ["bottom", "jewelry"],
        ["dress", "outerwear"], ["dress", "shoes"], ["dress", "bag"], ["dress", "accessory"], ["dress", "jewelry"],
        ["outerwear", "shoes"], ["outerwear", "bag"], ["outerwear", "accessory"],
        ["shoes", "bag"], ["shoes", "accessory"], ["shoes", "jewelry"],
        ["bag", "accessory"], ["bag", "jewelry"], ["accessory", "jewelry"],
    ]

    public static let defaults = TripletSettings(
        kinds: [.alsoBought, .boughtTogether], compatible: defaultCompatible, weights: [.reciprocal, .idf],
        negativesPerPositive: 4, negatives: .compatibleType, trainFraction: ItemSplit.defaultTrainFraction, validFraction: ItemSplit.defaultValidFraction, fitbCandidates: 3,
        maxRejectRatio: 0.05)

    enum CodingKeys: String, CodingKey {
        case kinds, compatible, weights, negatives
        case negativesPerPositive = "negatives_per_positive"
        case trainFraction = "train_fraction"
        case validFraction = "valid_fraction"
        case fitbCandidates = "fitb_candidates"
        case maxRejectRatio = "max_reject_ratio"
    }

    func validate() throws {
        guard !kinds.isEmpty else { throw LoomError.usage("kinds must name at least one edge kind", key: "kinds") }
        for pair in compatible where pair.count != 2 {
            throw LoomError.usage("each compatible entry is a pair of types, got \(pair)", key: "compatible")
        }
        // A misspelt type would match no item and silently drop every pair it was meant to keep.
        for name in compatible.joined() where CoarseType(rawValue: name) == nil {
            throw LoomError.usage(CoarseType.unknown(name), key: "compatible")
        }
        guard (0...100).contains(negativesPerPositive) else {
            throw LoomError.usage("negatives_per_positive must be between 0 and 100", key: "negatives_per_positive")
        }
        guard trainFraction > 0, validFraction >= 0, trainFraction + validFraction <= 1 else {
            throw LoomError.usage("train_fraction + valid_fraction must be at most 1", key: "train_fraction")
        }
        guard (1...20).contains(fitbCandidates) else { throw LoomError.usage("fitb_candidates must be 1…20", key: "fitb_candidates") }
    }
}
