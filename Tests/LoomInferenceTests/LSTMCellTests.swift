import LoomCore
import LoomKernels
import Testing

/// The C LSTM cell (both instruction sets) against the eight-lane Swift code it replaced, kept
/// here as the reference: every output bit equal, on any hidden size (partial lanes included),
/// with and without the recurrent row and the previous cell, on values that saturate the gates
/// and on NaN (any NaN), ±∞ and −0. On a CPU without AVX-512 only the AVX2 kernel runs.
@Suite struct LSTMCellTests {
    static let isas: [VectorISA] = CPUFeatures.hasAVX512 ? [.avx2, .avx512] : [.avx2]

    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        let specials: [Float] = [0, -0.0, .nan, .infinity, -.infinity, 95, -95, 44, -44, 1e-30]
        return (0..<count).map { index in
            index % 37 == 5 ? specials[(index / 37) % specials.count] : Float(random.unit() * 16 - 8)
        }
    }

    /// Bit patterns, every NaN as one: which NaN's sign survives an operation is the hardware's
    /// choice (the Swift reference runs unoptimised in tests), not the cell's.
    static func bits(_ values: [Float]) -> [UInt32] { values.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern } }

    @Test(arguments: [1, 5, 8, 13, 16, 24, 256, 300])
    func forwardGivesTheSwiftCellsBits(hidden: Int) {
        for (withRecurrent, withPrevious) in [(true, true), (false, false), (true, false), (false, true)] {
            let gates = Self.values(4 * hidden, seed: UInt64(hidden)), recurrent = Self.values(4 * hidden, seed: 99)
            let previous = Self.values(hidden, seed: 7)
            var expectedGates = gates, expectedCell = [Float](repeating: 0, count: hidden), expectedState = expectedCell
            Reference.forward(recurrent: withRecurrent ? recurrent : nil, gates: &expectedGates, previousCell: withPrevious ? previous : nil,
                              cell: &expectedCell, state: &expectedState, hidden: hidden)
            for isa in Self.isas {
                var actualGates = gates + [-7], cell = [Float](repeating: 0, count: hidden + 1), state = cell
                cell[hidden] = -7
                state[hidden] = -7
                recurrent.withUnsafeBufferPointer { r in previous.withUnsafeBufferPointer { p in
                    LSTMCell.forward(recurrent: withRecurrent ? r.baseAddress : nil, gates: &actualGates,
                                     previousCell: withPrevious ? p.baseAddress : nil, cell: &cell, state: &state, hidden: hidden,
                                     keepGates: true, isa: isa)
                } }
                let label = "hidden \(hidden) \(isa) recurrent \(withRecurrent) previous \(withPrevious)"
                #expect(Self.bits(Array(actualGates.prefix(4 * hidden))) == Self.bits(expectedGates), "\(label): gates")
                #expect(Self.bits(Array(cell.prefix(hidden))) == Self.bits(expectedCell), "\(label): cell")
                #expect(Self.bits(Array(state.prefix(hidden))) == Self.bits(expectedState), "\(label): state")
                #expect(actualGates[4 * hidden] == -7 && cell[hidden] == -7 && state[hidden] == -7, "\(label): wrote past the row")
            }
        }
    }

    /// As inference calls it: the cell updated in place (previous cell = cell), the gates not
    /// kept — the same cell and state, and the gate row left as it was.
    @Test(arguments: [5, 24, 256])
    func inPlaceWithoutKeepingTheGatesGivesTheSameCellAndState(hidden: Int) {
        let gates = Self.values(4 * hidden, seed: UInt64(hidden) + 2), recurrent = Self.values(4 * hidden, seed: 98)
        let previous = Self.values(hidden, seed: 9)
        var expectedGates = gates, expectedCell = [Float](repeating: 0, count: hidden), expectedState = expectedCell
        Reference.forward(recurrent: recurrent, gates: &expectedGates, previousCell: previous, cell: &expectedCell, state: &expectedState,
                          hidden: hidden)
        for isa in Self.isas {
            var untouched = gates, cell = previous, state = [Float](repeating: 0, count: hidden)
            cell.withUnsafeMutableBufferPointer { c in
                LSTMCell.forward(recurrent: recurrent, gates: &untouched, previousCell: c.baseAddress, cell: c.baseAddress!, state: &state,
                                 hidden: hidden, keepGates: false, isa: isa)
            }
            #expect(Self.bits(cell) == Self.bits(expectedCell), "hidden \(hidden) \(isa): cell")
            #expect(Self.bits(state) == Self.bits(expectedState), "hidden \(hidden) \(isa): state")
            #expect(Self.bits(untouched) == Self.bits(gates), "hidden \(hidden) \(isa): gates written")
        }
    }

    @Test(arguments: [1, 5, 8, 13, 16, 24, 256, 300])
    func backwardGivesTheSwiftCellsBits(hidden: Int) {
        for withPrevious in [true, false] {
            // Activated gates in (0, 1) and (−1, 1), as the forward pass leaves them.
            let gates = Self.values(4 * hidden, seed: UInt64(hidden) + 1).enumerated().map { index, value in
                index / hidden == 2 ? Float(VectorMath.tanh(SIMD8(repeating: value))[0]) : Float(VectorMath.sigmoid(SIMD8(repeating: value))[0])
            }
            let up = Self.values(hidden, seed: 3), back = Self.values(hidden, seed: 4), cell = Self.values(hidden, seed: 5)
            let previous = Self.values(hidden, seed: 6), cellGradient = Self.values(hidden, seed: 8)
            var expectedCellGradient = cellGradient, expectedGateGradient = [Float](repeating: 0, count: 4 * hidden)
            Reference.backward(outputGradient: up, recurrent: back, gates: gates, cell: cell, previousCell: withPrevious ? previous : nil,
                               cellGradient: &expectedCellGradient, gateGradient: &expectedGateGradient, hidden: hidden)
            for isa in Self.isas {
                var actualCellGradient = cellGradient + [-7], gateGradient = [Float](repeating: -7, count: 4 * hidden + 1)
                previous.withUnsafeBufferPointer { p in
                    LSTMCell.backward(outputGradient: up, recurrent: back, gates: gates, cell: cell,
                                      previousCell: withPrevious ? p.baseAddress : nil, cellGradient: &actualCellGradient,
                                      gateGradient: &gateGradient, hidden: hidden, isa: isa)
                }
                let label = "hidden \(hidden) \(isa) previous \(withPrevious)"
                #expect(Self.bits(Array(gateGradient.prefix(4 * hidden))) == Self.bits(expectedGateGradient), "\(label): gate gradients")
                #expect(Self.bits(Array(actualCellGradient.prefix(hidden))) == Self.bits(expectedCellGradient), "\(label): cell gradient")
                #expect(gateGradient[4 * hidden] == -7 && actualCellGradient[hidden] == -7, "\(label): wrote past the row")
            }
        }
    }

    /// The Swift cell as LSTMTraining had it before the C kernel (SIMD8 via Lanes and VectorMath).
    enum Reference {
        static func forward(recurrent: [Float]?, gates: inout [Float], previousCell: [Float]?, cell: inout [Float],
                            state: inout [Float], hidden: Int) {
            gates.withUnsafeMutableBytes { g in cell.withUnsafeMutableBytes { c in state.withUnsafeMutableBytes { h in
                var unit = 0
                while unit < hidden {
                    let lanes = hidden - unit
                    func gate(_ index: Int) -> SIMD8<Float> {
                        let offset = index * hidden + unit
                        let value = Lanes.load(g.baseAddress!, floatOffset: offset, count: lanes)
                        guard let recurrent else { return value }
                        return value + recurrent.withUnsafeBytes { Lanes.load($0.baseAddress!, floatOffset: offset, count: lanes) }
                    }
                    let inputGate = VectorMath.sigmoid(gate(0)), forgetGate = VectorMath.sigmoid(gate(1))
                    let candidate = VectorMath.tanh(gate(2)), outputGate = VectorMath.sigmoid(gate(3))
                    Lanes.store(inputGate, g.baseAddress!, floatOffset: unit, count: lanes)
                    Lanes.store(forgetGate, g.baseAddress!, floatOffset: hidden + unit, count: lanes)
                    Lanes.store(candidate, g.baseAddress!, floatOffset: 2 * hidden + unit, count: lanes)
                    Lanes.store(outputGate, g.baseAddress!, floatOffset: 3 * hidden + unit, count: lanes)
                    let oldCell = previousCell.map { p in p.withUnsafeBytes { Lanes.load($0.baseAddress!, floatOffset: unit, count: lanes) } }
                        ?? SIMD8<Float>()
                    let newCell = forgetGate * oldCell + inputGate * candidate
                    Lanes.store(newCell, c.baseAddress!, floatOffset: unit, count: lanes)
                    Lanes.store(outputGate * VectorMath.tanh(newCell), h.baseAddress!, floatOffset: unit, count: lanes)
                    unit += 8
                }
            } } }
        }

        static func backward(outputGradient: [Float], recurrent: [Float], gates: [Float], cell: [Float], previousCell: [Float]?,
                             cellGradient: inout [Float], gateGradient: inout [Float], hidden: Int) {
            func load(_ array: [Float], _ offset: Int, _ lanes: Int) -> SIMD8<Float> {
                array.withUnsafeBytes { Lanes.load($0.baseAddress!, floatOffset: offset, count: lanes) }
            }
            cellGradient.withUnsafeMutableBytes { dc in gateGradient.withUnsafeMutableBytes { dg in
                var unit = 0
                while unit < hidden {
                    let lanes = hidden - unit
                    let dh = load(outputGradient, unit, lanes) + load(recurrent, unit, lanes)
                    let i = load(gates, unit, lanes), f = load(gates, hidden + unit, lanes)
                    let candidate = load(gates, 2 * hidden + unit, lanes), o = load(gates, 3 * hidden + unit, lanes)
                    let tanhCell = VectorMath.tanh(load(cell, unit, lanes))
                    let previous = previousCell.map { load($0, unit, lanes) } ?? SIMD8<Float>()
                    let dOut = dh * tanhCell
                    let dCell = Lanes.load(dc.baseAddress!, floatOffset: unit, count: lanes) + dh * o * (1 - tanhCell * tanhCell)
                    Lanes.store(dCell * candidate * i * (1 - i), dg.baseAddress!, floatOffset: unit, count: lanes)
                    Lanes.store(dCell * previous * f * (1 - f), dg.baseAddress!, floatOffset: hidden + unit, count: lanes)
                    Lanes.store(dCell * i * (1 - candidate * candidate), dg.baseAddress!, floatOffset: 2 * hidden + unit, count: lanes)
                    Lanes.store(dOut * o * (1 - o), dg.baseAddress!, floatOffset: 3 * hidden + unit, count: lanes)
                    Lanes.store(dCell * f, dc.baseAddress!, floatOffset: unit, count: lanes)
                    unit += 8
                }
            } }
        }
    }
}
