import Foundation
import LoomCore
import LoomImaging
import LoomInference
import LoomTestSupport

/// Paths and loaders shared by the inference tests.
enum InferenceFixtures {
    static let resources = Bundle.module.resourceURL!
    /// The repository's Models/ folder (the weights the project carries).
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models")

    static func gunzip(_ name: String) throws -> Data {
        let source = try ByteSource(path: resources.appendingPathComponent(name).path)
        var bytes: [UInt8] = []
        while try source.read(appendingTo: &bytes, maximum: 1 << 16) > 0 {}  // small reads: quick in debug builds too
        return Data(bytes)
    }

    /// RGB8 pixels of a reference input PNG (224×224).
    static func pixels(_ png: String) throws -> [UInt8] {
        let data = try Data(contentsOf: resources.appendingPathComponent("inputs_224").appendingPathComponent(png))
        let image = try PNGDecoder.decode([UInt8](data), maxPixels: 1 << 20)
        precondition(image.width == 224 && image.height == 224)
        var rgb = [UInt8](repeating: 0, count: 224 * 224 * 3)
        for pixel in 0..<(224 * 224) { for c in 0..<3 { rgb[pixel * 3 + c] = image.pixels[pixel * 4 + c] } }
        return rgb
    }

    static var mobileNetWeights: String { models.appendingPathComponent("mobilenet_v2/model.safetensors").path }

    /// A LoomNet model directory assembled from Models/mobilenet_v2 and the reference heads.
    static func loomNetDirectory(in temporary: TemporaryDirectory) throws -> String {
        let heads = temporary.file("heads.safetensors")
        try gunzip("loomnet_heads.safetensors.gz").write(to: URL(fileURLWithPath: heads))
        let backbone = try SafetensorsFile(path: mobileNetWeights).allTensors()
        let rest = try SafetensorsFile(path: heads).allTensors()
        let directory = temporary.file("loomnet")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(backbone + rest, to: (directory as NSString).appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(atPath: models.appendingPathComponent("loomnet-v1/config.json").path,
                                         toPath: (directory as NSString).appendingPathComponent("config.json"))
        return directory
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    static func maxAbsError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
