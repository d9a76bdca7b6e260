import Foundation

/// Draws a product as a studio photo: a light backdrop (or transparency for PNGs with alpha), the
/// garment's silhouette in its colour, its style's pattern in the accent colour, soft shading.
struct GarmentPainter {
    /// Upright pixels, tightly packed: RGB8, or RGBA8 when `transparent`.
    struct Picture {
        var width: Int
        var height: Int
        var channels: Int
        var pixels: [UInt8]
    }

    func paint(_ product: Product, transparent: Bool) -> Picture {
        let width = product.width
        let height = product.height
        let side = 0.84 * Double(min(width, height))
        let left = (Double(width) - side) / 2
        let top = (Double(height) - side) / 2
        let silhouette = Silhouette.named(product.garment.silhouette)
        let contours = silhouette.contours.map { contour in
            contour.map { (x: left + $0.x * side, y: top + $0.y * side) }
        }
        let coverage = CoverageRasterizer(width: width, height: height).coverage(of: contours)
        let channels = transparent ? 4 : 3
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let base = product.color.rgb
        let accent = product.accent.rgb
        // What depends on the column only, worked out once per column instead of once per pixel.
        let across = (0..<width).map { (Double($0) - left) / side }
        let shading = across.map { 1.0 - 0.16 * abs($0 - 0.5) }
        // Written through a raw buffer: a catalog at scale paints a hundred thousand of these,
        // and the array's bounds checks were a third of the painting.
        coverage.withUnsafeBufferPointer { coverage in
            pixels.withUnsafeMutableBufferPointer { pixels in
                for y in 0..<height {
                    let v = (Double(y) - top) / side
                    // Backdrop: a faint vertical gradient, as a seamless paper background gives.
                    let backdrop = 250 - 14 * Double(y) / Double(height)
                    let paper = (UInt8(backdrop), UInt8(backdrop - 2))
                    for x in 0..<width {
                        let index = y * width + x
                        let alpha = Double(min(coverage[index], 1))
                        let offset = index * channels
                        guard alpha > 0 else {
                            if !transparent {
                                pixels[offset] = paper.0
                                pixels[offset + 1] = paper.0
                                pixels[offset + 2] = paper.1
                            }
                            continue
                        }
                        let u = across[x]
                        let mix = GarmentPainter.patternWeight(product.pattern, u: u, v: v)
                        let shade = shading[x]
                        let r = (Double(base.0) * (1 - mix) + Double(accent.0) * mix) * shade
                        let g = (Double(base.1) * (1 - mix) + Double(accent.1) * mix) * shade
                        let b = (Double(base.2) * (1 - mix) + Double(accent.2) * mix) * shade
                        if transparent {
                            pixels[offset] = UInt8(max(0, min(255, r.rounded())))
                            pixels[offset + 1] = UInt8(max(0, min(255, g.rounded())))
                            pixels[offset + 2] = UInt8(max(0, min(255, b.rounded())))
                            pixels[offset + 3] = UInt8((alpha * 255).rounded())
                        } else {
                            pixels[offset] = UInt8(max(0, min(255, (r * alpha + backdrop * (1 - alpha)).rounded())))
                            pixels[offset + 1] = UInt8(max(0, min(255, (g * alpha + backdrop * (1 - alpha)).rounded())))
                            pixels[offset + 2] = UInt8(max(0, min(255, (b * alpha + (backdrop - 2) * (1 - alpha)).rounded())))
                        }
                    }
                }
            }
        }
        return Picture(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// How much of the accent colour shows at garment coordinates (u, v) in [0, 1].
    static func patternWeight(_ pattern: Product.Pattern, u: Double, v: Double) -> Double {
        func fract(_ value: Double) -> Double { value - value.rounded(.down) }
        switch pattern {
        case .solid:
            return 0
        case .stripes:
            return fract(v / 0.08) < 0.35 ? 1 : 0
        case .checks:
            return (fract(u / 0.1) < 0.5) != (fract(v / 0.1) < 0.5) ? 0.55 : 0
        case .dots:
            let du = fract(u / 0.07) - 0.5
            let dv = fract(v / 0.07) - 0.5
            return du * du + dv * dv < 0.07 ? 1 : 0
        case .floral:
            let row = (v / 0.11).rounded(.down)
            let shifted = u / 0.11 + (Int(row) % 2 == 0 ? 0 : 0.5)
            let du = fract(shifted) - 0.5
            let dv = fract(v / 0.11) - 0.5
            let radius = (du * du + dv * dv).squareRoot()
            if radius < 0.08 { return 0.3 }
            // The petal's edge lies between 0.16 and 0.40 from the centre: the angle is needed only there.
            if radius < 0.16 { return 1 }
            if radius >= 0.40 { return 0 }
            let angle = atan2(dv, du)
            let petal = 0.28 + 0.12 * cos(5 * angle)
            return radius < petal ? 1 : 0
        case .band:
            return (u > 0.30 && u < 0.35) || (u > 0.65 && u < 0.70) ? 1 : 0
        }
    }
}
