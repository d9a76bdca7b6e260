import Foundation
import LoomCore

/// Reading an image file whole, as the images stage and query-time embedding do.
public enum ImageFile {
    /// The file's bytes, or why they cannot be had. Read with read(2) through ByteSource
    /// (Foundation's reader leaks a page on empty files, which AddressSanitizer reports).
    public static func read(_ path: String) -> ([UInt8]?, ImageError?) {
        guard FileManager.default.fileExists(atPath: path) else {
            return (nil, ImageError(reason: .missingFile, message: "no such file"))
        }
        do {
            let source = try ByteSource(path: path, decompress: false)
            var bytes: [UInt8] = []
            while try source.read(appendingTo: &bytes, maximum: 1 << 20) > 0 {}
            return (bytes, nil)
        } catch {
            return (nil, ImageError(reason: .ioError, message: "cannot read the file: \(error)"))
        }
    }
}
