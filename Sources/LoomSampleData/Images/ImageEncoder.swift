import Foundation
import LoomCore
import LoomImaging

/// Encodes pictures as JPEG (baseline or progressive, optionally with an EXIF orientation) or
/// PNG through libjpeg-turbo and libpng.
enum ImageEncoder {
    static func jpeg(_ picture: GarmentPainter.Picture, quality: Int, progressive: Bool, orientation: Int = 1) throws -> Data {
        precondition(picture.channels == 3, "JPEG needs RGB")
        let stored = orientation == 1 ? picture : storedForOrientation(picture, orientation: orientation)
        do {
            return Data(try JPEGEncoder.encode(stored.pixels, width: stored.width, height: stored.height, quality: quality,
                                               progressive: progressive,
                                               app1: orientation == 1 ? [] : exifOrientationSegment(orientation)))
        } catch {
            throw LoomError.internalError("JPEG encoding failed: \(error.message)")
        }
    }

    static func png(_ picture: GarmentPainter.Picture) throws -> Data {
        do {
            return Data(try PNGEncoder.encode(picture.pixels, width: picture.width, height: picture.height, channels: picture.channels))
        } catch {
            throw LoomError.internalError("PNG encoding failed: \(error.message)")
        }
    }

    /// The stored pixels that display upright once a viewer applies EXIF `orientation`.
    static func storedForOrientation(_ upright: GarmentPainter.Picture, orientation: Int) -> GarmentPainter.Picture {
        let w = upright.width
        let h = upright.height
        let c = upright.channels
        let swaps = orientation >= 5
        let sw = swaps ? h : w
        let sh = swaps ? w : h
        var pixels = [UInt8](repeating: 0, count: upright.pixels.count)
        for sy in 0..<sh {
            for sx in 0..<sw {
                let (ux, uy): (Int, Int)
                switch orientation {
                case 2: (ux, uy) = (w - 1 - sx, sy)
                case 3: (ux, uy) = (w - 1 - sx, h - 1 - sy)
                case 4: (ux, uy) = (sx, h - 1 - sy)
                case 5: (ux, uy) = (sy, sx)
                case 6: (ux, uy) = (w - 1 - sy, sx)
                case 7: (ux, uy) = (w - 1 - sy, h - 1 - sx)
                case 8: (ux, uy) = (sy, h - 1 - sx)
                default: (ux, uy) = (sx, sy)
                }
                let to = (sy * sw + sx) * c
                let from = (uy * w + ux) * c
                for k in 0..<c { pixels[to + k] = upright.pixels[from + k] }
            }
        }
        return GarmentPainter.Picture(width: sw, height: sh, channels: c, pixels: pixels)
    }

    /// An APP1 payload: "Exif\0\0", a little-endian TIFF header and IFD0 with one Orientation entry.
    static func exifOrientationSegment(_ orientation: Int) -> [UInt8] {
        var bytes: [UInt8] = Array("Exif".utf8) + [0, 0]
        bytes += [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00]  // "II", 42, IFD0 at offset 8
        bytes += [0x01, 0x00]  // one entry
        bytes += [0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00]  // tag 0x0112, SHORT, count 1
        bytes += [UInt8(orientation), 0x00, 0x00, 0x00]  // value, padded
        bytes += [0x00, 0x00, 0x00, 0x00]  // no next IFD
        return bytes
    }
}
