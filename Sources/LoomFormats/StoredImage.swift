import Foundation
import LoomCore

/// A row of `images.sqlite`'s `images`: an item's normalised pixels, `width`×`height` RGB8,
/// stored `raw` or as a `jpeg`.
public struct StoredImage: Sendable {
    public var width: Int
    public var height: Int
    /// `raw` (RGB8 bytes, row after row) or `jpeg`.
    public var encoding: String
    public var pixels: Data

    public init(width: Int, height: Int, encoding: String, pixels: Data) {
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
        Data("\(encoding) \(width)x\(height)\n".utf8).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        pixels.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize()
    }
}
