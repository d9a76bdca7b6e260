import Foundation
import LoomCore

/// A row of `images.sqlite`'s `images`: an item's normalised pixels, `width`×`height` RGB8,
/// stored `raw` or as a `jpeg`.
public struct StoredImage: Sendable {
    /// How `pixels` holds the image, by its name in `images.encoding`.
    public enum Encoding: String, Codable, Sendable, CaseIterable {
        /// RGB8 bytes as they are, row after row.
        case raw
        /// A JPEG of the normalised pixels (6× smaller; the default for big catalogs).
        case jpeg
    }

    public var width: Int
    public var height: Int
    public var encoding: Encoding
    public var pixels: Data

    public init(width: Int, height: Int, encoding: Encoding, pixels: Data) {
        self.width = width
        self.height = height
        self.encoding = encoding
        self.pixels = pixels
    }

    /// What the stored image is, as bytes: XXH3-128 of its encoding, size and pixels. Two items
    /// sharing a photo (colour variants often do) have the same hash, and a rerun of the images
    /// stage that stored the same bytes gives the same hash, so the backbone runs once per image.
    public var contentHash: String {
        let hasher = FileContentHasher()
        Data("\(encoding.rawValue) \(width)x\(height)\n".utf8).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        pixels.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize()
    }
}
