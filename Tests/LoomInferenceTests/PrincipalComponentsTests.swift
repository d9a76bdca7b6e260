import LoomCore
@testable import LoomKernels
import Testing

/// The effective dimensionality the report prints: eigenvalues of a matrix with known ones, and
/// the component count of vectors spread over a known subspace.
@Suite struct PrincipalComponentsTests {
    @Test func jacobiFindsTheEigenvaluesOfARotatedDiagonal() {
        // R diag(9, 4, 1, 0.25) Rᵀ for a rotation R in the (0,1) and (2,3) planes.
        let (c, s) = (0.6, 0.8)
        let rotation: [Double] = [c, -s, 0, 0, s, c, 0, 0, 0, 0, s, c, 0, 0, -c, s]
        let values: [Double] = [9, 4, 1, 0.25]
        var matrix = [Double](repeating: 0, count: 16)
        for i in 0..<4 { for j in 0..<4 { for k in 0..<4 { matrix[i * 4 + j] += rotation[i * 4 + k] * values[k] * rotation[j * 4 + k] } } }
        let found = PrincipalComponents.eigenvalues(symmetric: matrix, order: 4).sorted(by: >)
        for (a, b) in zip(found, values) { #expect(abs(a - b) < 1e-9, "\(found)") }
    }

    @Test func eigenvectorsSatisfyTheirEquationAndAreOrthonormal() {
        // A seeded symmetric 12 × 12 matrix with eigenvalues of both signs.
        var random = SeededRandom(seed: 11)
        let n = 12
        var matrix = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { matrix[i * n + j] = random.unit() * 2 - 1; matrix[j * n + i] = matrix[i * n + j] } }
        let (values, vectors) = PrincipalComponents.eigenDecomposition(symmetric: matrix, order: n)
        #expect(values.contains { $0 < -0.1 } && values.contains { $0 > 0.1 })
        for (index, value) in values.enumerated() {
            for i in 0..<n {
                var product = 0.0
                for k in 0..<n { product += matrix[i * n + k] * vectors[k * n + index] }
                #expect(abs(product - value * vectors[i * n + index]) < 1e-9, "row \(i) of eigenvector \(index)")
            }
            for other in index..<n {
                var dot = 0.0
                for k in 0..<n { dot += vectors[k * n + index] * vectors[k * n + other] }
                #expect(abs(dot - (other == index ? 1 : 0)) < 1e-9)
            }
        }
        let plain = PrincipalComponents.eigenvalues(symmetric: matrix, order: n)
        #expect(plain == values, "the same sweeps with or without the vectors")
    }

    @Test func countsTheComponentsThatHoldTheVariance() {
        // 2,000 vectors of 16 dims spread with variances 10, 5 and 1 along three random-ish
        // orthogonal directions (and a constant offset): 90% needs 2 components, 99% needs 3.
        var random = SeededRandom(seed: 7)
        let dim = 16
        let directions: [[Float]] = (0..<3).map { axis in (0..<dim).map { $0 % 3 == axis ? 1 / Float(6).squareRoot() : 0 } }
        let spreads: [Float] = [10, 5, 1].map { Float($0).squareRoot() }
        var rows: [Float] = []
        for _ in 0..<2_000 {
            var vector = [Float](repeating: 0.5, count: dim)
            for (direction, spread) in zip(directions, spreads) {
                // A sum of uniforms: roughly normal, unit variance.
                let draw = (0..<12).reduce(Float(0)) { sum, _ in sum + Float(random.next() % 10_000) / 10_000 } - 6
                for j in 0..<dim { vector[j] += draw * spread * direction[j] }
            }
            rows += vector
        }
        #expect(PrincipalComponents.count(explaining: 0.9, rows: rows, dim: dim) == 2)
        #expect(PrincipalComponents.count(explaining: 0.99, rows: rows, dim: dim) == 3)
        #expect(PrincipalComponents.count(explaining: 0.9, rows: [Float](repeating: 1, count: 64), dim: dim) == 0)
    }
}
