import Foundation

/// What BERT's normaliser turns each character below U+3000 into (canonical decomposition,
/// nonspacing marks dropped, lower-cased), computed once: catalogs are full of curly quotes,
/// accents and symbols, and decomposing them one call at a time costs more than tokenising.
struct ScalarNormalisation: Sendable {
    static let tableLimit: UInt32 = 0x3000

    /// Start of each character's output in `output` (index = scalar value), plus one end.
    private let offsets: [UInt32]
    private let output: [Unicode.Scalar]
    /// Characters whose output keeps a combining class: they need the whole-string path.
    private let reorders: [Bool]

    init() {
        var offsets: [UInt32] = [0]
        var output: [Unicode.Scalar] = []
        var reorders: [Bool] = []
        offsets.reserveCapacity(Int(ScalarNormalisation.tableLimit) + 1)
        for value in 0..<ScalarNormalisation.tableLimit {
            let (scalars, reorder) = Unicode.Scalar(value).map(ScalarNormalisation.compute) ?? ([], false)
            output.append(contentsOf: scalars)
            offsets.append(UInt32(output.count))
            reorders.append(reorder)
        }
        self.offsets = offsets
        self.output = output
        self.reorders = reorders
    }

    /// The normalised characters of `scalar`, and whether a combining class remains.
    func normalise(_ scalar: Unicode.Scalar) -> (ArraySlice<Unicode.Scalar>, reorders: Bool) {
        let value = scalar.value
        guard value < ScalarNormalisation.tableLimit else {
            let (scalars, reorder) = ScalarNormalisation.compute(scalar)
            return (scalars[...], reorder)
        }
        return (output[Int(offsets[Int(value)])..<Int(offsets[Int(value) + 1])], reorders[Int(value)])
    }

    static func compute(_ scalar: Unicode.Scalar) -> ([Unicode.Scalar], Bool) {
        var scalars: [Unicode.Scalar] = []
        let decomposed = scalar.isASCII ? String(scalar).unicodeScalars : String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
        let reorder = appendStrippedLowercased(decomposed, to: &scalars)
        return (scalars, reorder)
    }

    /// BERT's accent stripping and lower-casing of already decomposed text: nonspacing marks
    /// dropped, the rest lower-cased. Returns whether a character with a combining class remains.
    @discardableResult
    static func appendStrippedLowercased(_ decomposed: some Sequence<Unicode.Scalar>, to result: inout [Unicode.Scalar]) -> Bool {
        var reorder = false
        for part in decomposed where part.properties.generalCategory != .nonspacingMark {
            if part.properties.canonicalCombiningClass != .notReordered { reorder = true }
            if part.properties.changesWhenLowercased {
                result.append(contentsOf: part.properties.lowercaseMapping.unicodeScalars)
            } else {
                result.append(part)
            }
        }
        return reorder
    }
}
