import LoomKernels
/// torchvision's MobileNetV2 (width 1.0) in eval mode, computed on NHWC activations: the stem
/// 3×3 convolution, 17 inverted residual blocks, the 1×1 head to 1280 channels, global average
/// pooling and, when the file has it, the ImageNet classifier. Batch norms are folded at load.
public struct MobileNetV2: Sendable {
    /// One inverted residual block: 1×1 expand (absent when t = 1), 3×3 depthwise, 1×1 project.
    struct Block: Sendable {
        let expand: PointwiseLayer?
        let depthwiseWeights: FloatBuffer  // [9][channels]
        let depthwiseBias: FloatBuffer
        let hidden: Int
        let stride: Int
        let project: PointwiseLayer
        let residual: Bool
    }

    public static let featureCount = 1280
    /// torchvision's inverted residual settings: expansion t, output channels c, repeats n, stride s.
    static let settings: [(t: Int, c: Int, n: Int, s: Int)] = [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]
    static let stemChannels = 32

    let stemWeights: FloatBuffer  // [3·3·3][32]
    let stemBias: FloatBuffer
    let blocks: [Block]
    let head: PointwiseLayer
    /// `classifier.1` (1280 → 1000), when the weights file has it.
    public let classifier: DenseLayer?

    /// Loads `<prefix>features.*` (and `<prefix>classifier.1.*` if present) from `file`, its 1×1
    /// convolutions to run in `precision`.
    public init(_ file: any TensorSource, prefix: String = "visual.", batchNormEps eps: Float = 1e-5,
                precision: BackbonePrecision = .fp32) throws {
        let features = prefix + "features."
        let stem = try BatchNormFolding.fold(file, convolution: features + "0.0", batchNorm: features + "0.1",
                                             shape: [Self.stemChannels, 3, 3, 3], eps: eps)
        // [out][in][ky][kx] → [ky][kx][in][out]
        var stemPacked = [Float](repeating: 0, count: stem.weights.count)
        for o in 0..<Self.stemChannels {
            for i in 0..<3 {
                for tap in 0..<9 {
                    stemPacked[(tap * 3 + i) * Self.stemChannels + o] = stem.weights[(o * 3 + i) * 9 + tap]
                }
            }
        }
        stemWeights = FloatBuffer(stemPacked)
        stemBias = FloatBuffer(stem.bias)

        var blocks: [Block] = []
        var inputs = Self.stemChannels
        var index = 1
        for setting in Self.settings {
            for repeatIndex in 0..<setting.n {
                let name = features + "\(index).conv."
                let hidden = inputs * setting.t
                var layer = 0
                var expand: PointwiseLayer?
                if setting.t != 1 {
                    let folded = try BatchNormFolding.fold(file, convolution: name + "0.0", batchNorm: name + "0.1",
                                                           shape: [hidden, inputs, 1, 1], eps: eps)
                    expand = PointwiseLayer(weight: folded.weights, bias: folded.bias, inputs: inputs, outputs: hidden, activation: .relu6,
                                            precision: precision)
                    layer = 1
                }
                let depthwise = try BatchNormFolding.fold(file, convolution: name + "\(layer).0", batchNorm: name + "\(layer).1",
                                                          shape: [hidden, 1, 3, 3], eps: eps)
                var tapMajor = [Float](repeating: 0, count: hidden * 9)
                for c in 0..<hidden { for tap in 0..<9 { tapMajor[tap * hidden + c] = depthwise.weights[c * 9 + tap] } }
                let project = try BatchNormFolding.fold(file, convolution: name + "\(layer + 1)", batchNorm: name + "\(layer + 2)",
                                                        shape: [setting.c, hidden, 1, 1], eps: eps)
                let stride = repeatIndex == 0 ? setting.s : 1
                blocks.append(Block(
                    expand: expand, depthwiseWeights: FloatBuffer(tapMajor), depthwiseBias: FloatBuffer(depthwise.bias),
                    hidden: hidden, stride: stride,
                    project: PointwiseLayer(weight: project.weights, bias: project.bias, inputs: hidden, outputs: setting.c, activation: .none,
                                            precision: precision),
                    residual: stride == 1 && inputs == setting.c))
                inputs = setting.c
                index += 1
            }
        }
        self.blocks = blocks
        let headFolded = try BatchNormFolding.fold(file, convolution: features + "\(index).0", batchNorm: features + "\(index).1",
                                                   shape: [Self.featureCount, inputs, 1, 1], eps: eps)
        head = PointwiseLayer(weight: headFolded.weights, bias: headFolded.bias, inputs: inputs, outputs: Self.featureCount, activation: .relu6,
                              precision: precision)
        if file.contains(prefix + "classifier.1.weight") {
            classifier = try DenseLayer(file, prefix + "classifier.1", inputs: Self.featureCount, outputs: 1000)
        } else {
            classifier = nil
        }
    }

    /// Floats of scratch space one forward pass at `size`×`size` needs (four activation buffers).
    public static func workspaceCount(size: Int) -> Int {
        let half = (size + 1) / 2
        return 4 * half * half * (96 + 8)  // the widest activation: 112² × 96 at 224, pixels padded by 8
    }

    /// The 1280 pooled features of one image given as normalised NHWC floats (`size`² × 3).
    /// `workspace` holds `workspaceCount(size:)` floats.
    public func pooledFeatures(image: UnsafePointer<Float>, size: Int, workspace: UnsafeMutablePointer<Float>,
                               into features: UnsafeMutablePointer<Float>) {
        let slot = Self.workspaceCount(size: size) / 4
        var current = workspace                         // the block's input (kept for the residual)
        var other = workspace + slot                    // the block's output
        let expanded = workspace + 2 * slot
        let filtered = workspace + 3 * slot
        var height = (size - 1) / 2 + 1, width = height
        DirectConvolution.apply(input: image, height: size, width: size, inChannels: 3, stride: 2,
                                weights: stemWeights.pointer, bias: stemBias.pointer, outChannels: Self.stemChannels,
                                activation: .relu6, output: current)
        for block in blocks {
            run(block, input: current, height: height, width: width, expanded: expanded, filtered: filtered, output: other)
            height = (height - 1) / block.stride + 1
            width = (width - 1) / block.stride + 1
            swap(&current, &other)
        }
        let pixels = height * width
        head.apply(current, rows: pixels, into: other)
        GlobalAveragePool.apply(other, pixels: pixels, channels: Self.featureCount, into: features)
    }

    /// Bytes of expanded activations a band aims at: with the filtered band and the weights, the
    /// working set of one band stays in a 1 MB L2.
    static let bandBytes = 384 << 10

    /// One inverted residual block, in bands of output rows: each band expands only the input
    /// rows its 3×3 windows reach (rows shared with the previous band are kept, not recomputed),
    /// filters them and projects them while they are still in cache. Small images are one band,
    /// so the matrix products keep enough rows. Every value is computed as without bands.
    func run(_ block: Block, input: UnsafeMutablePointer<Float>, height: Int, width: Int,
             expanded: UnsafeMutablePointer<Float>, filtered: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let stride = block.stride
        let outHeight = (height - 1) / stride + 1, outWidth = (width - 1) / stride + 1
        let inputChannels = block.expand?.inputs ?? block.hidden
        let outputChannels = block.project.outputs
        // Expanded and filtered pixels are `hiddenStride` floats apart: with 192, 384, 576 or 960
        // packed channels, a pixel's eight-channel slices fall on a few L1 sets and evict each other.
        let hiddenStride = block.hidden + 8
        let rowFloats = width * hiddenStride
        let bandRows = height < 28 ? outHeight : max(1, (Self.bandBytes / (rowFloats * 4) - 2) / stride)
        var held = 0..<0   // image rows whose expanded activations are at the start of `expanded`
        var oy0 = 0
        while oy0 < outHeight {
            let oy1 = min(outHeight, oy0 + bandRows)
            let needed = max(0, oy0 * stride - 1)..<min(height, (oy1 - 1) * stride + 2)
            var depthwiseInput = UnsafePointer(input + needed.lowerBound * width * inputChannels)
            if let expand = block.expand {
                let kept = needed.lowerBound..<max(needed.lowerBound, held.upperBound)
                if !kept.isEmpty {
                    expanded.update(from: expanded + (kept.lowerBound - held.lowerBound) * rowFloats, count: kept.count * rowFloats)
                }
                let fresh = kept.upperBound..<needed.upperBound
                expand.apply(input + fresh.lowerBound * width * inputChannels, rows: fresh.count * width,
                             into: expanded + kept.count * rowFloats, outputStride: hiddenStride)
                held = needed
                depthwiseInput = UnsafePointer(expanded)
            }
            DepthwiseConvolution.apply(input: depthwiseInput, height: height, width: width, channels: block.hidden,
                                       stride: stride, weights: block.depthwiseWeights.pointer,
                                       bias: block.depthwiseBias.pointer, activation: .relu6, output: filtered,
                                       firstInputRow: needed.lowerBound, outputRows: oy0..<oy1,
                                       inputPixelStride: block.expand == nil ? inputChannels : hiddenStride,
                                       outputPixelStride: hiddenStride)
            let first = oy0 * outWidth, count = (oy1 - oy0) * outWidth
            block.project.apply(filtered, rows: count, into: output + first * outputChannels, inputStride: hiddenStride)
            if block.residual {
                let target = output + first * outputChannels, source = input + first * outputChannels
                for i in 0..<(count * outputChannels) { target[i] += source[i] }
            }
            oy0 = oy1
        }
    }
}
