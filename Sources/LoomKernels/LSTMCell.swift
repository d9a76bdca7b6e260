import CLoomKernels
import LoomCore

/// One LSTM cell step, in C (lstm_cell_body.h): AVX-512 (16 lanes) where the CPU has it, AVX2
/// otherwise, both with VectorMath's operations in its order — the same bits on either, and
/// as the eight-lane Swift code they replaced. In Swift the cell compiled to unfused, spilling
/// code that was 9% of a training step; inference and training share it, so a trained model's
/// text vectors and a served one's still agree bit for bit.
public enum LSTMCell {
    /// Gates (4·hidden pre-activations, plus `recurrent` when given) → σ, σ, tanh, σ (written back
    /// over `gates` when `keepGates`); c = σ(f)·c_prev + σ(i)·tanh(g) into `cell` (`previousCell`
    /// nil for zeros; it may be `cell`), h = σ(o)·tanh(c) into `state`.
    @inline(__always)
    public static func forward(recurrent: UnsafePointer<Float>?, gates: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>?,
                               cell: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>, hidden: Int, keepGates: Bool,
                               isa: VectorISA = CPUFeatures.isa) {
        let kernel = isa == .avx512 ? loom_lstm_cell_forward_avx512 : loom_lstm_cell_forward
        kernel(recurrent, gates, previousCell, cell, state, hidden, keepGates ? 1 : 0)
    }

    /// dh = `outputGradient` + `recurrent`; from the activated `gates`, c_t (`cell`) and c_{t−1}
    /// (`previousCell`, nil for zeros) writes the pre-activation gate gradients and replaces
    /// `cellGradient` (dc_t from step t+1) with dc_{t−1}.
    @inline(__always)
    public static func backward(outputGradient: UnsafePointer<Float>, recurrent: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                                cell: UnsafePointer<Float>, previousCell: UnsafePointer<Float>?, cellGradient: UnsafeMutablePointer<Float>,
                                gateGradient: UnsafeMutablePointer<Float>, hidden: Int, isa: VectorISA = CPUFeatures.isa) {
        let kernel = isa == .avx512 ? loom_lstm_cell_backward_avx512 : loom_lstm_cell_backward
        kernel(outputGradient, recurrent, gates, cell, previousCell, cellGradient, gateGradient, hidden)
    }
}
