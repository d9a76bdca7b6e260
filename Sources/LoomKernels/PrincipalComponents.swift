/// How many directions a set of vectors really uses: the number of principal components that
/// hold a given share of their variance (the embedding's effective dimensionality; a collapsed
/// space puts most of it in a handful). Covariance in double precision, eigenvalues by cyclic
/// Jacobi rotations: exact enough for a count, and a few hundred milliseconds for 256 dimensions.
public enum PrincipalComponents {
    /// The fewest components whose variance reaches `fraction` of the total, for `rows` vectors
    /// of `dim` floats stored one after another; 0 when the vectors do not vary.
    public static func count(explaining fraction: Double, rows: [Float], dim: Int) -> Int {
        let values = eigenvalues(symmetric: covariance(rows: rows, dim: dim), order: dim).sorted(by: >)
        let total = values.reduce(0) { $0 + max($1, 0) }
        guard total > 0 else { return 0 }
        var sum = 0.0
        for (index, value) in values.enumerated() {
            sum += max(value, 0)
            if sum >= fraction * total { return index + 1 }
        }
        return values.count
    }

    /// The `dim × dim` covariance of the rows (row-major, divided by the row count).
    static func covariance(rows: [Float], dim: Int) -> [Double] {
        let count = rows.count / dim
        guard count > 0 else { return [Double](repeating: 0, count: dim * dim) }
        var mean = [Double](repeating: 0, count: dim)
        for row in 0..<count {
            for j in 0..<dim { mean[j] += Double(rows[row * dim + j]) }
        }
        for j in 0..<dim { mean[j] /= Double(count) }
        var sums = [Double](repeating: 0, count: dim * dim)
        var centred = [Double](repeating: 0, count: dim)
        for row in 0..<count {
            for j in 0..<dim { centred[j] = Double(rows[row * dim + j]) - mean[j] }
            for i in 0..<dim {
                let scale = centred[i]
                for j in i..<dim { sums[i * dim + j] += scale * centred[j] }
            }
        }
        for i in 0..<dim {
            for j in i..<dim {
                let value = sums[i * dim + j] / Double(count)
                sums[i * dim + j] = value
                sums[j * dim + i] = value
            }
        }
        return sums
    }

    /// The eigenvalues of a symmetric `order × order` matrix (row-major), by cyclic Jacobi
    /// sweeps until the off-diagonal mass is negligible.
    static func eigenvalues(symmetric matrix: [Double], order n: Int) -> [Double] {
        jacobi(matrix, order: n, vectors: false).values
    }

    /// Eigenvalues and unit eigenvectors of a symmetric `order × order` matrix (row-major):
    /// `vectors[k * order + j]` is component k of the eigenvector of `values[j]`.
    public static func eigenDecomposition(symmetric matrix: [Double], order n: Int) -> (values: [Double], vectors: [Double]) {
        let result = jacobi(matrix, order: n, vectors: true)
        return (result.values, result.vectors)
    }

    /// Cyclic Jacobi sweeps; with `vectors`, the rotations are also gathered into the eigenvectors.
    private static func jacobi(_ matrix: [Double], order n: Int, vectors: Bool) -> (values: [Double], vectors: [Double]) {
        var a = matrix
        var v = [Double](repeating: 0, count: vectors ? n * n : 0)
        if vectors { for i in 0..<n { v[i * n + i] = 1 } }
        func offDiagonal() -> Double {
            var sum = 0.0
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { sum += a[i * n + j] * a[i * n + j] } }
            return sum
        }
        var diagonal = 0.0
        for i in 0..<n { diagonal += a[i * n + i] * a[i * n + i] }
        let tolerance = 1e-22 * max(diagonal, 1e-300)
        for _ in 0..<60 where offDiagonal() > tolerance {
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if abs(apq) < 1e-300 { continue }
                    // The rotation that zeroes a[p][q] (Golub & Van Loan's symmetric Schur step).
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    if vectors {
                        for k in 0..<n {
                            let vkp = v[k * n + p], vkq = v[k * n + q]
                            v[k * n + p] = c * vkp - s * vkq
                            v[k * n + q] = s * vkp + c * vkq
                        }
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }
}
