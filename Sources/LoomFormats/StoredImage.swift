import Foundation

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
}
