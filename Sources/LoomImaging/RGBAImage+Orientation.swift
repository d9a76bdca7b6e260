extension RGBAImage {
    /// The image as a viewer shows it given EXIF `orientation` (1 = as stored, 2 = mirrored,
    /// 3 = turned 180°, 4 = flipped, 5 = transposed, 6 = turned 90° clockwise, 7 = transversed,
    /// 8 = turned 90° counter-clockwise).
    public func applyingOrientation(_ orientation: Int) -> RGBAImage {
        let (out, outWidth, outHeight) = RGBAImage.oriented(pixels, width: width, height: height, channels: 4, orientation: orientation)
        return RGBAImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// Tightly packed pixels of `channels` bytes turned by EXIF `orientation`; (pixels, width, height).
    static func oriented(_ pixels: [UInt8], width: Int, height: Int, channels: Int, orientation: Int) -> ([UInt8], Int, Int) {
        guard (2...8).contains(orientation) else { return (pixels, width, height) }
        let swaps = orientation >= 5
        let outWidth = swaps ? height : width
        let outHeight = swaps ? width : height
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        // The stored pixel that lands at (x, y) of the upright image.
                        let (sx, sy): (Int, Int)
                        switch orientation {
                        case 2: (sx, sy) = (width - 1 - x, y)
                        case 3: (sx, sy) = (width - 1 - x, height - 1 - y)
                        case 4: (sx, sy) = (x, height - 1 - y)
                        case 5: (sx, sy) = (y, x)
                        case 6: (sx, sy) = (y, height - 1 - x)
                        case 7: (sx, sy) = (width - 1 - y, height - 1 - x)
                        default: (sx, sy) = (width - 1 - y, x)
                        }
                        let from = (sy * width + sx) * channels
                        let to = (y * outWidth + x) * channels
                        for channel in 0..<channels { target[to + channel] = source[from + channel] }
                    }
                }
            }
        }
        return (out, outWidth, outHeight)
    }
}
