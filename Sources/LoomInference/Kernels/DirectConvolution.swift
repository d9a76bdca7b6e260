import CLoomKernels
import LoomCore
import LoomKernels
/// A full 3×3 convolution, padding 1, on NHWC activations with few input channels (the
/// network's first layer: RGB → 32). Direct rather than im2col + GEMM: with 3 input channels a
/// GEMM would have a depth of 27.
///
/// Pixels whose window is inside the image are done two at a time, 32 output channels at once
/// (eight accumulators; each weight vector loaded once serves both pixels); the border, odd
/// leftovers and other channel counts take the general path. Both sum bias, then taps row by
/// row, left to right, input channel by channel: the same value either way. With `isa` `.avx512`
/// interior pixels go four at a time through `loom_direct3x3_quad_avx512` (the same sums).
enum DirectConvolution {
    /// `weights` is [3·3·inChannels][outChannels] (tap, then input channel, then output).
    static func apply(
        input: UnsafePointer<Float>, height: Int, width: Int, inChannels: Int, stride: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, outChannels: Int, activation: Activation,
        output: UnsafeMutablePointer<Float>, isa: VectorISA = CPUFeatures.isa
    ) {
        let outHeight = (height - 1) / stride + 1
        let outWidth = (width - 1) / stride + 1
        let firstInterior = min(outWidth, 1)
        let endInterior = width >= 2 ? max(firstInterior, min(outWidth, (width - 2) / stride + 1)) : firstInterior
        for oy in 0..<outHeight {
            let iy0 = oy * stride - 1
            let row = output + oy * outWidth * outChannels
            guard outChannels % 32 == 0, iy0 >= 0, iy0 + 2 < height else {
                general(input: input, height: height, width: width, inChannels: inChannels, stride: stride, iy0: iy0,
                        columns: 0..<outWidth, weights: weights, bias: bias, outChannels: outChannels, activation: activation, row: row)
                continue
            }
            general(input: input, height: height, width: width, inChannels: inChannels, stride: stride, iy0: iy0,
                    columns: 0..<firstInterior, weights: weights, bias: bias, outChannels: outChannels, activation: activation, row: row)
            var ox = firstInterior
            if isa == .avx512 {
                let bounds = activation.bounds
                while ox + 4 <= endInterior {
                    var group = 0
                    while group < outChannels {
                        loom_direct3x3_quad_avx512(input + (iy0 * width + ox * stride - 1) * inChannels, width, inChannels, stride,
                                                   weights + group, bias + group, outChannels, row + ox * outChannels + group,
                                                   bounds.lower[0], bounds.upper[0])
                        group += 32
                    }
                    ox += 4
                }
            }
            let pairsEnd = ox + (endInterior - ox) / 2 * 2
            while ox < pairsEnd {
                var group = 0
                while group < outChannels {
                    let corner = input + (iy0 * width + ox * stride - 1) * inChannels
                    if inChannels == 3 {   // RGB: a constant, so the 27 taps unroll completely
                        interiorPair(input: corner, width: width, inChannels: 3, stride: stride, weights: weights + group,
                                     bias: bias + group, outChannels: outChannels, activation: activation,
                                     out: row + ox * outChannels + group)
                    } else {
                        interiorPair(input: corner, width: width, inChannels: inChannels, stride: stride, weights: weights + group,
                                     bias: bias + group, outChannels: outChannels, activation: activation,
                                     out: row + ox * outChannels + group)
                    }
                    group += 32
                }
                ox += 2
            }
            general(input: input, height: height, width: width, inChannels: inChannels, stride: stride, iy0: iy0,
                    columns: pairsEnd..<outWidth, weights: weights, bias: bias, outChannels: outChannels, activation: activation, row: row)
        }
    }

    /// 32 output channels of two neighbouring output pixels whose windows are inside the image;
    /// `input` points at the first pixel's window corner, `weights`, `bias` and `out` at the group.
    @inline(__always)
    static func interiorPair(
        input: UnsafePointer<Float>, width: Int, inChannels: Int, stride: Int, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, outChannels: Int, activation: Activation, out: UnsafeMutablePointer<Float>
    ) {
        let b = UnsafeRawPointer(bias)
        var p0 = b.loadUnaligned(as: SIMD8<Float>.self), p1 = b.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        var p2 = b.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), p3 = b.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        var q0 = p0, q1 = p1, q2 = p2, q3 = p3
        let second = stride &* inChannels   // the next output pixel's window starts `stride` pixels to the right
        for ky in 0..<3 {
            let line = input + ky &* width &* inChannels
            for kx in 0..<3 {
                let pixel = line + kx &* inChannels
                let tapWeights = UnsafeRawPointer(weights + (ky &* 3 &+ kx) &* inChannels &* outChannels)
                for c in 0..<inChannels {
                    let w = tapWeights + c &* outChannels &* 4
                    let w0 = w.loadUnaligned(as: SIMD8<Float>.self), w1 = w.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                    let w2 = w.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), w3 = w.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                    let x = SIMD8<Float>(repeating: pixel[c]), y = SIMD8<Float>(repeating: pixel[second &+ c])
                    p0.addProduct(x, w0); p1.addProduct(x, w1); p2.addProduct(x, w2); p3.addProduct(x, w3)
                    q0.addProduct(y, w0); q1.addProduct(y, w1); q2.addProduct(y, w2); q3.addProduct(y, w3)
                }
            }
        }
        let first = UnsafeMutableRawPointer(out), next = UnsafeMutableRawPointer(out + outChannels)
        first.storeBytes(of: activation.apply(p0), as: SIMD8<Float>.self)
        first.storeBytes(of: activation.apply(p1), toByteOffset: 32, as: SIMD8<Float>.self)
        first.storeBytes(of: activation.apply(p2), toByteOffset: 64, as: SIMD8<Float>.self)
        first.storeBytes(of: activation.apply(p3), toByteOffset: 96, as: SIMD8<Float>.self)
        next.storeBytes(of: activation.apply(q0), as: SIMD8<Float>.self)
        next.storeBytes(of: activation.apply(q1), toByteOffset: 32, as: SIMD8<Float>.self)
        next.storeBytes(of: activation.apply(q2), toByteOffset: 64, as: SIMD8<Float>.self)
        next.storeBytes(of: activation.apply(q3), toByteOffset: 96, as: SIMD8<Float>.self)
    }

    /// Any output channel count, skipping taps in the padding: the output columns `columns` of one row.
    static func general(
        input: UnsafePointer<Float>, height: Int, width: Int, inChannels: Int, stride: Int, iy0: Int, columns: Range<Int>,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, outChannels: Int, activation: Activation,
        row: UnsafeMutablePointer<Float>
    ) {
        let kyStart = max(0, -iy0), kyEnd = min(3, height - iy0)
        for ox in columns {
            let ix0 = ox * stride - 1
            let kxStart = max(0, -ix0), kxEnd = min(3, width - ix0)
            let out = UnsafeMutableRawPointer(row + ox * outChannels)
            var block = 0
            while block < outChannels {
                let lanes = outChannels - block
                var sum = Lanes.load(bias, floatOffset: block, count: lanes)
                for ky in kyStart..<kyEnd {
                    for kx in kxStart..<kxEnd {
                        let pixel = input + ((iy0 + ky) * width + ix0 + kx) * inChannels
                        let tap = (ky * 3 + kx) * inChannels
                        for c in 0..<inChannels {
                            let w = Lanes.load(weights, floatOffset: (tap + c) * outChannels + block, count: lanes)
                            sum.addProduct(SIMD8(repeating: pixel[c]), w)
                        }
                    }
                }
                Lanes.store(activation.apply(sum), out, floatOffset: block, count: lanes)
                block += 8
            }
        }
    }
}
