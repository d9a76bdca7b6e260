import CLoomCodecs
import Foundation

/// One file → the model's input: decoded (JPEG at the smallest DCT scale that still covers the
/// target), turned upright by its EXIF orientation, alpha composited on white, the shorter side
/// resized to `resizeShorter` with an antialiasing filter, centre-cropped to `size`², RGB8.
public struct ImageNormalizer: Sendable {
    public var size: Int
    public var resizeShorter: Int
    public var maxPixels: UInt64
    public var maxBytes: Int
    /// Keep JPEGs whose decoder recovered from damage (truncation, corrupt data).
    public var lenient: Bool

    public init(size: Int = 224, resizeShorter: Int = 256, maxPixels: UInt64 = 40_000_000, maxBytes: Int = 50 << 20,
                lenient: Bool = false) {
        self.size = size
        self.resizeShorter = resizeShorter
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
        self.lenient = lenient
    }

    /// Decodes `bytes` at full size (or the smallest covering JPEG scale) and turns it upright
    /// (unless `upright` is false: the pixels as stored, as other decoders hash them).
    public func decodeUpright(_ bytes: [UInt8], scaled: Bool = true, upright: Bool = true) throws(ImageError) -> RGBAImage {
        guard bytes.count <= maxBytes else {
            throw ImageError(reason: .tooLarge, message: "\(bytes.count) bytes is over the limit of \(maxBytes)")
        }
        if bytes.starts(with: PNGDecoder.signature) {
            return try PNGDecoder.decode(bytes, maxPixels: maxPixels)
        }
        guard bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw ImageError(reason: .notAnImage, message: bytes.isEmpty ? "empty file" : "neither a JPEG nor a PNG")
        }
        let denominator = scaled ? try scaleDenominator(bytes) : 1
        let decoded = try JPEGDecoder.decode(bytes, scaleDenominator: denominator, maxPixels: maxPixels, strict: !lenient)
        return upright ? decoded.image.applyingOrientation(decoded.orientation) : decoded.image
    }

    /// Only the decode the pipeline does (JPEG to RGB8 at its DCT scale, PNG to RGB8 on white), into
    /// the decoder's own buffer: the floor the benchmark compares the whole pipeline with. Returns
    /// the number of pixels.
    public func decodeOnly(_ bytes: [UInt8]) throws(ImageError) -> Int {
        if bytes.starts(with: PNGDecoder.signature) {
            return try PNGDecoder.withDecodedRGBOnWhite(bytes, maxPixels: maxPixels) { $1 * $2 }
        }
        return try JPEGDecoder.withDecodedRGB(bytes, scaleDenominator: try scaleDenominator(bytes), maxPixels: maxPixels,
                                              strict: !lenient) { $1.width * $1.height }
    }

    /// The largest of 8, 4, 2, 1 whose scaled shorter side still covers `resizeShorter`.
    func scaleDenominator(_ bytes: [UInt8]) throws(ImageError) -> Int {
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0, progressive: Int32 = 0
        var message = [CChar](repeating: 0, count: Int(LOOM_CODEC_MESSAGE_MAX))
        let status = bytes.withUnsafeBufferPointer {
            loom_jpeg_read_header($0.baseAddress, $0.count, &width, &height, &components, &progressive, &message)
        }
        guard status == 0 else { throw CodecStatus.error(LOOM_DECODE_CORRUPT, message) }
        let shorter = Int(min(width, height))
        for denominator in [8, 4, 2] where (shorter + denominator - 1) / denominator >= resizeShorter {
            return denominator
        }
        return 1
    }

    /// The normalised `size × size × 3` RGB8 pixels of a file's bytes.
    public func normalize(_ bytes: [UInt8]) throws(ImageError) -> [UInt8] {
        if bytes.count <= maxBytes, bytes.starts(with: PNGDecoder.signature) {
            // PNG: composited on white by the decoder and resized from its buffer, no copy in between.
            return try PNGDecoder.withDecodedRGBOnWhite(bytes, maxPixels: maxPixels) { resizeAndCrop($0, width: $1, height: $2) }
        }
        guard bytes.count <= maxBytes, bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            return normalize(try decodeUpright(bytes))
        }
        // JPEG: stay in RGB (no alpha to composite). An upright image is decoded only where the
        // resize reads it, and resized from the decoder's buffer; one that must turn is decoded whole.
        var plan: AntialiasResizer.Plan?
        return try JPEGDecoder.withDecodedRGB(bytes, scaleDenominator: try scaleDenominator(bytes), maxPixels: maxPixels,
                                              strict: !lenient, region: { width, height, orientation in
            guard orientation == 1 else { return nil }
            let chosen = resizePlan(width: width, height: height)
            plan = chosen
            // One pixel more on each side: libjpeg's smooth chroma upsampling treats the edges of a
            // cropped row as the image's edges, so the outermost decoded pixels may differ.
            return (max(0, chosen.columns.lowerBound - 1)..<min(width, chosen.columns.upperBound + 1), chosen.rows)
        }) { stored, layout in
            if let plan {
                return plan.resize(stored, originColumn: layout.columns.lowerBound, originRow: layout.rows.lowerBound,
                                   rowStride: layout.columns.count * 3)
            }
            let (rgb, uprightWidth, uprightHeight) = RGBAImage.oriented(Array(stored), width: layout.width, height: layout.height,
                                                                        channels: 3, orientation: layout.orientation)
            return rgb.withUnsafeBufferPointer { resizeAndCrop($0, width: uprightWidth, height: uprightHeight) }
        }
    }

    public func normalize(_ image: RGBAImage) -> [UInt8] {
        Self.compositedOnWhite(image).withUnsafeBufferPointer { resizeAndCrop($0, width: image.width, height: image.height) }
    }

    /// A file as a model input of `size`²: an image that already has that size (upright) is used
    /// as it is, any other is resized and cropped as the images stage does.
    public func modelInput(_ bytes: [UInt8]) throws(ImageError) -> [UInt8] {
        let image = try decodeUpright(bytes)
        return image.width == size && image.height == size ? Self.compositedOnWhite(image) : normalize(image)
    }

    /// RGB8 of an RGBA8 image, alpha composited on white.
    static func compositedOnWhite(_ image: RGBAImage) -> [UInt8] {
        // c' = (c·a + 255·(255 − a)) / 255.
        var rgb = [UInt8](repeating: 0, count: image.width * image.height * 3)
        image.pixels.withUnsafeBufferPointer { rgba in
            rgb.withUnsafeMutableBufferPointer { out in
                // No branch on opaque pixels (a = 255 gives c back) and no overflow checks: the
                // loop runs over every pixel of every PNG.
                for index in 0..<(image.width &* image.height) {
                    let alpha = UInt32(rgba[4 &* index &+ 3])
                    let white = 255 &* (255 &- alpha) &+ 127
                    for channel in 0..<3 {
                        let value = UInt32(rgba[4 &* index &+ channel])
                        out[3 &* index &+ channel] = UInt8(truncatingIfNeeded: (value &* alpha &+ white) / 255)
                    }
                }
            }
        }
        return rgb
    }

    /// Shorter side to `resizeShorter`, then the centred `size × size` window.
    func resizeAndCrop(_ rgb: UnsafeBufferPointer<UInt8>, width: Int, height: Int) -> [UInt8] {
        resizePlan(width: width, height: height).resize(rgb, originColumn: 0, originRow: 0, rowStride: width * 3)
    }

    /// The resize of a `width × height` image: shorter side to `resizeShorter`, centred `size²` window.
    func resizePlan(width: Int, height: Int) -> AntialiasResizer.Plan {
        let shorter = min(width, height)
        let targetWidth = max(size, Int((Double(width) * Double(resizeShorter) / Double(shorter)).rounded()))
        let targetHeight = max(size, Int((Double(height) * Double(resizeShorter) / Double(shorter)).rounded()))
        let left = (targetWidth - size) / 2
        let top = (targetHeight - size) / 2
        return AntialiasResizer.Plan(width: width, height: height, targetWidth: targetWidth, targetHeight: targetHeight,
                                     cropX: left..<(left + size), cropY: top..<(top + size))
    }
}
