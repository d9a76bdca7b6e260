import Foundation

/// The weight of a positive (anchor → positive), the product of the chosen factors, each a
/// measure of how much to trust the co-purchase (Sun et al. 2020 weight triplets this way):
///
/// - `uniform`    1.
/// - `frequency`  m, the number of (list, kind) mentions of the pair: b in a's also_bought list, a
///                in b's, b in a's bought_together list… each counts once.
/// - `reciprocal` 2 when each item lists the other (in any chosen kind), 1 when only one does.
/// - `idf`        ln((1 + L) / (1 + df(p))) + 1, where L is the number of lists (one per item and
///                kind) and df(p) the number of lists that name the positive p: a hub that half the
///                catalog lists is weak evidence for any one pair.
///
/// The weights of all positives are then divided by their mean, so they average 1.
struct PairWeighting: Sendable {
    let factors: [PairWeight]

    func weight(mentions: Int, reciprocal: Bool, positiveIDF: Double) -> Double {
        factors.reduce(1.0) { product, factor in
            switch factor {
            case .uniform: product
            case .frequency: product * Double(mentions)
            case .reciprocal: product * (reciprocal ? 2 : 1)
            case .idf: product * positiveIDF
            }
        }
    }

    static func idf(lists: Int, listedIn: Int) -> Double {
        log(Double(1 + lists) / Double(1 + listedIn)) + 1
    }
}
