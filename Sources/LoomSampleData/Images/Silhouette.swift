import Foundation

/// Garment outlines as closed contours in a unit box (x right, y down), filled even-odd, so a
/// bag handle can be a ring and a pair of shoes two contours.
struct Silhouette: Sendable {
    enum Name: String, Sendable {
        case tshirt, sweater, trousers, skirt, shorts, dress, maxiDress, jacket, coat
        case sneakers, boots, heels, tote, crossbody, hat, scarf, belt
    }

    typealias Point = (x: Double, y: Double)
    var contours: [[Point]]

    static func named(_ name: Name) -> Silhouette {
        switch name {
        case .tshirt:
            return Silhouette(contours: [[(0.30, 0.10), (0.42, 0.10), (0.50, 0.17), (0.58, 0.10), (0.70, 0.10), (0.92, 0.30),
                                          (0.82, 0.40), (0.74, 0.33), (0.74, 0.90), (0.26, 0.90), (0.26, 0.33), (0.18, 0.40), (0.08, 0.30)]])
        case .sweater:
            return Silhouette(contours: [[(0.30, 0.10), (0.42, 0.10), (0.50, 0.15), (0.58, 0.10), (0.70, 0.10), (0.88, 0.28),
                                          (0.96, 0.80), (0.86, 0.82), (0.76, 0.40), (0.75, 0.90), (0.25, 0.90), (0.24, 0.40),
                                          (0.14, 0.82), (0.04, 0.80), (0.12, 0.28)]])
        case .trousers:
            return Silhouette(contours: [[(0.30, 0.06), (0.70, 0.06), (0.76, 0.94), (0.56, 0.94), (0.50, 0.34), (0.44, 0.94), (0.24, 0.94)]])
        case .skirt:
            return Silhouette(contours: [[(0.34, 0.18), (0.66, 0.18), (0.84, 0.80), (0.16, 0.80)]])
        case .shorts:
            return Silhouette(contours: [[(0.26, 0.24), (0.74, 0.24), (0.80, 0.70), (0.56, 0.72), (0.50, 0.48), (0.44, 0.72), (0.20, 0.70)]])
        case .dress:
            return Silhouette(contours: [[(0.38, 0.06), (0.44, 0.06), (0.50, 0.14), (0.56, 0.06), (0.62, 0.06), (0.64, 0.30),
                                          (0.58, 0.42), (0.78, 0.80), (0.22, 0.80), (0.42, 0.42), (0.36, 0.30)]])
        case .maxiDress:
            return Silhouette(contours: [[(0.38, 0.04), (0.44, 0.04), (0.50, 0.12), (0.56, 0.04), (0.62, 0.04), (0.63, 0.28),
                                          (0.58, 0.38), (0.76, 0.96), (0.24, 0.96), (0.42, 0.38), (0.37, 0.28)]])
        case .jacket:
            return Silhouette(contours: [[(0.30, 0.08), (0.44, 0.08), (0.50, 0.30), (0.56, 0.08), (0.70, 0.08), (0.88, 0.26),
                                          (0.95, 0.78), (0.85, 0.80), (0.77, 0.40), (0.77, 0.82), (0.23, 0.82), (0.23, 0.40),
                                          (0.15, 0.80), (0.05, 0.78), (0.12, 0.26)]])
        case .coat:
            return Silhouette(contours: [[(0.30, 0.04), (0.44, 0.04), (0.50, 0.30), (0.56, 0.04), (0.70, 0.04), (0.88, 0.22),
                                          (0.95, 0.74), (0.85, 0.76), (0.78, 0.36), (0.82, 0.96), (0.18, 0.96), (0.22, 0.36),
                                          (0.15, 0.76), (0.05, 0.74), (0.12, 0.22)]])
        case .sneakers:
            return Silhouette(contours: [shoe(x: 0.06, y: 0.30, width: 0.42, top: 0.22), shoe(x: 0.52, y: 0.56, width: 0.42, top: 0.22)])
        case .boots:
            return Silhouette(contours: [boot(x: 0.08, y: 0.30), boot(x: 0.52, y: 0.50)])
        case .heels:
            return Silhouette(contours: [heel(x: 0.06, y: 0.34), heel(x: 0.52, y: 0.58)])
        case .tote:
            return Silhouette(contours: [[(0.22, 0.40), (0.78, 0.40), (0.84, 0.90), (0.16, 0.90)],
                                         ellipse(cx: 0.50, cy: 0.40, rx: 0.20, ry: 0.22, from: .pi, to: 2 * .pi),
                                         ellipse(cx: 0.50, cy: 0.40, rx: 0.15, ry: 0.17, from: .pi, to: 2 * .pi)])
        case .crossbody:
            return Silhouette(contours: [[(0.28, 0.50), (0.72, 0.50), (0.72, 0.84), (0.28, 0.84)],
                                         [(0.30, 0.50), (0.34, 0.50), (0.60, 0.08), (0.56, 0.08)]])
        case .hat:
            return Silhouette(contours: [ellipse(cx: 0.50, cy: 0.62, rx: 0.44, ry: 0.14, from: 0, to: 2 * .pi),
                                         ellipse(cx: 0.50, cy: 0.58, rx: 0.22, ry: 0.26, from: .pi, to: 2 * .pi)])
        case .scarf:
            return Silhouette(contours: [[(0.36, 0.04), (0.64, 0.04), (0.60, 0.96), (0.40, 0.96)]])
        case .belt:
            return Silhouette(contours: [[(0.04, 0.44), (0.96, 0.44), (0.96, 0.56), (0.04, 0.56)],
                                         [(0.14, 0.38), (0.26, 0.38), (0.26, 0.62), (0.14, 0.62)],
                                         [(0.17, 0.41), (0.23, 0.41), (0.23, 0.59), (0.17, 0.59)]])
        }
    }

    private static func shoe(x: Double, y: Double, width: Double, top: Double) -> [Point] {
        [(x, y + top), (x + width * 0.15, y + top * 0.2), (x + width * 0.45, y), (x + width * 0.6, y + top * 0.45),
         (x + width, y + top * 0.7), (x + width, y + top), (x, y + top + 0.04)]
    }

    private static func boot(x: Double, y: Double) -> [Point] {
        [(x + 0.06, y - 0.16), (x + 0.20, y - 0.16), (x + 0.20, y + 0.08), (x + 0.40, y + 0.16), (x + 0.40, y + 0.22),
         (x, y + 0.22), (x + 0.02, y + 0.10)]
    }

    private static func heel(x: Double, y: Double) -> [Point] {
        [(x, y), (x + 0.10, y - 0.04), (x + 0.16, y + 0.02), (x + 0.40, y + 0.12), (x + 0.40, y + 0.16), (x + 0.14, y + 0.14),
         (x + 0.03, y + 0.06), (x + 0.03, y + 0.22), (x, y + 0.22)]
    }

    /// An elliptical arc closed by its chord (a full ellipse when the arc is 2π).
    private static func ellipse(cx: Double, cy: Double, rx: Double, ry: Double, from start: Double, to end: Double) -> [Point] {
        (0...32).map { step in
            let angle = start + (end - start) * Double(step) / 32
            return (cx + rx * cos(angle), cy + ry * sin(angle))
        }
    }
}
