import Foundation
import LoomCore
import LoomFormats
import LoomImaging

/// Settings of the images stage (`stages.images` in a pipeline file).
public struct ImagesSettings: StageSettings {
    /// How the pixels are stored (`StoredImage.Encoding`: raw RGB8 or JPEG).
    public typealias Encoding = StoredImage.Encoding

    public var size: Int
    public var resizeShorter: Int
    public var encoding: Encoding
    public var jpegQuality: Int
    public var maxPixels: Int
    public var maxBytes: Int
    public var lenient: Bool
    public var maxRejectRatio: Double

    public static let defaults = ImagesSettings(size: 224, resizeShorter: 256, encoding: .jpeg, jpegQuality: 95,
                                                maxPixels: 40_000_000, maxBytes: 50 << 20, lenient: false, maxRejectRatio: 0.05)

    enum CodingKeys: String, CodingKey {
        case size, encoding, lenient
        case resizeShorter = "resize_shorter"
        case jpegQuality = "jpeg_quality"
        case maxPixels = "max_pixels"
        case maxBytes = "max_bytes"
        case maxRejectRatio = "max_reject_ratio"
    }

    var normalizer: ImageNormalizer {
        ImageNormalizer(size: size, resizeShorter: resizeShorter, maxPixels: UInt64(maxPixels), maxBytes: maxBytes, lenient: lenient)
    }

    /// What the stored rows depend on besides the file's bytes: the stage's computation and
    /// every setting but the reject limit. A previous output made under the same key has rows to reuse.
    func reuseKey() throws -> String {
        var shaping = self
        shaping.maxRejectRatio = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return "\(ImagesStage.algorithm) " + String(decoding: try encoder.encode(shaping), as: UTF8.self)
    }

    func validate() throws {
        guard (16...1024).contains(size) else { throw LoomError.usage("size must be 16…1024", key: "size") }
        guard resizeShorter >= size else { throw LoomError.usage("resize_shorter must be at least size", key: "resize_shorter") }
        guard (1...100).contains(jpegQuality) else { throw LoomError.usage("jpeg_quality must be 1…100", key: "jpeg_quality") }
        guard maxPixels > 0, maxBytes > 0 else { throw LoomError.usage("max_pixels and max_bytes must be positive", key: "max_pixels") }
    }
}
