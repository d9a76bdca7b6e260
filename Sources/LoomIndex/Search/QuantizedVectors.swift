import CLoomKernels
import LoomCore

/// The index's vectors rounded to 8 bits, for the first pass of a query that comes alone: one query
/// against the database is limited by memory bandwidth, and these codes are a quarter of the
/// floats' bytes. Each row keeps the norms that bound its rounding error, so the pass gives every
/// row an interval that surely holds its exact score; only rows whose interval reaches the k-th
/// best lower end are scored again in float (`VectorSearch.scanQuantized`).
///
/// Layout: rows in groups of 8, and in each group the dimensions in pairs — for pair p, 16 bytes
/// (row 0 dims 2p, 2p+1; row 1 …; row 7) — so that one widening multiply-add of 16 codes by the
/// query's pair gives the 8 rows' partial sums side by side, with no horizontal sums
/// (`loom_int8_group_dots`, in CLoomKernels).
struct QuantizedVectors: Sendable, Equatable {
    let count: Int
    /// Dimension pairs (the dimension rounded up to even, halved).
    let pairs: Int
    /// `groups * pairs * 16` codes; the rows past `count` in the last group are zero.
    let codes: [Int8]
    /// Per row: the step of its codes (its largest magnitude / 127).
    let scales: [Float]
    /// Per row, rounded up: the norm of the rounded vector (scale × codes) and of what rounding lost.
    let roundedNorms: [Float]
    let residualNorms: [Float]

    static let levels: Float = 127

    var groups: Int { (count + 7) / 8 }

    /// Rounds `count` rows of `dim` floats.
    init(vectors: UnsafePointer<Float>, count: Int, dim: Int) {
        self.count = count
        pairs = (dim + 1) / 2
        var codes = [Int8](repeating: 0, count: (count + 7) / 8 * pairs * 16)
        var scales = [Float](repeating: 0, count: count)
        var roundedNorms = [Float](repeating: 0, count: count), residualNorms = [Float](repeating: 0, count: count)
        for row in 0..<count {
            let groupBase = row / 8 * pairs * 16 + row % 8 * 2
            let rounding = Self.round(vectors + row * dim, count: dim, levels: Self.levels) { i, code in
                codes[groupBase + i / 2 * 16 + i % 2] = Int8(code)
            }
            scales[row] = rounding.scale
            roundedNorms[row] = Self.roundedUp(rounding.roundedNorm)
            residualNorms[row] = Self.roundedUp(rounding.residualNorm)
        }
        self.codes = codes
        self.scales = scales
        self.roundedNorms = roundedNorms
        self.residualNorms = residualNorms
    }

    init(count: Int, pairs: Int, codes: [Int8], scales: [Float], roundedNorms: [Float], residualNorms: [Float]) {
        precondition(codes.count == (count + 7) / 8 * pairs * 16 && [scales, roundedNorms, residualNorms].allSatisfy { $0.count == count })
        self.count = count
        self.pairs = pairs
        self.codes = codes
        self.scales = scales
        self.roundedNorms = roundedNorms
        self.residualNorms = residualNorms
    }

    /// Rounds `count` values to integer codes of at most ±`levels` steps of one scale (the largest
    /// magnitude / `levels`), handing each code to `store`. Returns the scale and, in Double, the
    /// norms of the values, of the rounded values (scale × code) and of what rounding lost.
    @inline(__always)
    static func round(_ values: UnsafePointer<Float>, count: Int, levels: Float, store: (Int, Float) -> Void)
        -> (scale: Float, norm: Double, roundedNorm: Double, residualNorm: Double) {
        var largest: Float = 0
        for i in 0..<count { largest = max(largest, abs(values[i])) }
        let scale = largest / levels
        var norm: Double = 0, rounded: Double = 0, residual: Double = 0
        for i in 0..<count {
            let code = scale > 0 ? max(-levels, min(levels, (values[i] / scale).rounded())) : 0
            store(i, code)
            let value = Double(scale) * Double(code), original = Double(values[i])
            norm += original * original
            rounded += value * value
            residual += (original - value) * (original - value)
        }
        return (scale, norm.squareRoot(), rounded.squareRoot(), residual.squareRoot())
    }

    /// A bound computed in Double, as a Float no smaller than it.
    static func roundedUp(_ value: Double) -> Float {
        let float = Float(value)
        return Double(float) >= value ? float : float.nextUp
    }

    /// The integer dot products of `query`'s codes with rows `rows` (starting at a multiple of 8),
    /// into `dots` (room for `rows.count` rounded up to 8). AVX-512 VNNI where `isa` says so:
    /// integer sums, the same results.
    func dots(_ query: Query, rows: Range<Int>, into dots: UnsafeMutablePointer<Int32>, isa: VectorISA = CPUFeatures.isa) {
        precondition(rows.lowerBound % 8 == 0 && rows.upperBound <= count)
        codes.withUnsafeBufferPointer { codes in
            query.codes.withUnsafeBufferPointer { queryCodes in
                let first = codes.baseAddress! + rows.lowerBound / 8 * pairs * 16, groups = (rows.count + 7) / 8
                switch isa {
                case .avx512: loom_int8_group_dots_avx512(first, pairs, groups, queryCodes.baseAddress!, dots)
                case .avx2: loom_int8_group_dots(first, pairs, groups, queryCodes.baseAddress!, dots)
                }
            }
        }
    }

    /// From `query`'s dot products with rows `rows` (`dots[0]` is the first row's), intervals that
    /// hold each row's exact score — as the float kernel computes it — into `lower` and `upper`.
    func intervals(_ query: Query, rows: Range<Int>, dots: UnsafePointer<Int32>,
                   lower: UnsafeMutablePointer<Float>, upper: UnsafeMutablePointer<Float>) {
        let alpha = SIMD8<Float>(repeating: query.alpha), beta = SIMD8<Float>(repeating: query.beta)
        scales.withUnsafeBufferPointer { scales in
        roundedNorms.withUnsafeBufferPointer { roundedNorms in
        residualNorms.withUnsafeBufferPointer { residualNorms in
            var i = 0
            while i < rows.count {
                let row = rows.lowerBound + i, lanes = min(8, rows.upperBound - row)
                let dot = SIMD8<Float>(Self.load(dots + i, lanes))
                let scale = Self.load(scales.baseAddress! + row, lanes), norm = Self.load(roundedNorms.baseAddress! + row, lanes)
                let residual = Self.load(residualNorms.baseAddress! + row, lanes)
                let approximate = dot * scale * query.scale
                let radius = norm * alpha + residual * beta
                Self.store(approximate - radius, lower + i, lanes)
                Self.store(approximate + radius, upper + i, lanes)
                i += 8
            }
        }
        }
        }
    }

    /// Up to 8 values (the lanes past `count` are zero).
    @inline(__always)
    static func load<Scalar: SIMDScalar>(_ pointer: UnsafePointer<Scalar>, _ count: Int) -> SIMD8<Scalar> {
        if count >= 8 { return UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Scalar>.self) }
        var value = SIMD8<Scalar>()
        for lane in 0..<count { value[lane] = pointer[lane] }
        return value
    }

    @inline(__always)
    static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= 8 { UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self); return }
        for lane in 0..<count { pointer[lane] = value[lane] }
    }

    /// One query rounded for the first pass, with what bounds its own rounding error.
    struct Query {
        /// One code per dimension, padded to whole pairs.
        let codes: [Int16]
        let scale: Float
        /// A row's score interval is a ± (roundedNorm × alpha + residualNorm × beta), see `init`.
        let alpha: Float
        let beta: Float

        /// Codes of up to ±2047: the query's own rounding then adds little to the interval, and
        /// a row's sum (128 pairs × 2 × 127 × 2047 at dim 256) stays far inside Int32.
        static let levels: Float = 2047

        init(_ query: UnsafePointer<Float>, dim: Int, pairs: Int) {
            var codes = [Int16](repeating: 0, count: pairs * 2)
            let rounding = QuantizedVectors.round(query, count: dim, levels: Self.levels) { i, code in codes[i] = Int16(code) }
            scale = rounding.scale
            self.codes = codes
            // x·q = (x̃ + e)·q = x̃·q̃ + x̃·(q − q̃) + e·q, with x̃ = scale·codes. The first term is
            // what the pass computes; the others are at most |x̃|·|q − q̃| + |e|·|q|. The slack
            // covers float rounding: of the pass's own arithmetic, and of the float kernel's sum
            // that the exact score is (dim products, error ≤ dim·2⁻²⁴·|x|·|q|), doubled.
            let slack = Double(dim + 16) * 0x1p-23 * (rounding.norm + rounding.residualNorm)
            alpha = QuantizedVectors.roundedUp(rounding.residualNorm + slack)
            beta = QuantizedVectors.roundedUp(rounding.norm + slack)
        }
    }
}
