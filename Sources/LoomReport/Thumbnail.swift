import Foundation
import LoomFormats
import LoomImaging

/// Small JPEG thumbnails as `data:` URIs, so the report is one self-contained file.
enum Thumbnail {
    static let size = 96

    // Lenient: a truncated photo shows what it has, which is what the reader of a reject wants to see.
    private static let normalizer = ImageNormalizer(size: size, resizeShorter: size, maxPixels: 40_000_000, maxBytes: 20 << 20, lenient: true)

    /// A thumbnail of an image file's bytes (JPEG or PNG); nil when they do not decode.
    static func of(fileBytes bytes: [UInt8]) -> String? {
        guard let rgb = try? normalizer.normalize(bytes) else { return nil }
        return encode(rgb)
    }

    /// A thumbnail of an image the images stage stored.
    static func of(_ stored: StoredImage) -> String? {
        switch stored.encoding {
        case .jpeg:
            return of(fileBytes: [UInt8](stored.pixels))
        case .raw:
            guard stored.pixels.count == stored.width * stored.height * 3 else { return nil }
            var rgba = [UInt8]()
            rgba.reserveCapacity(stored.width * stored.height * 4)
            for pixel in stride(from: 0, to: stored.pixels.count, by: 3) {
                rgba += [stored.pixels[pixel], stored.pixels[pixel + 1], stored.pixels[pixel + 2], 255]
            }
            return encode(normalizer.normalize(RGBAImage(width: stored.width, height: stored.height, pixels: rgba)))
        }
    }

    /// An image file on disk, if it is one and not too large to look at.
    static func of(path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular,
              let size = attributes[.size] as? Int, size > 0, size <= 20 << 20,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return of(fileBytes: [UInt8](data))
    }

    private static func encode(_ rgb: [UInt8]) -> String? {
        guard let jpeg = try? JPEGEncoder.encode(rgb, width: size, height: size, quality: 80) else { return nil }
        return "data:image/jpeg;base64," + Data(jpeg).base64EncodedString()
    }
}
