import ArgumentParser
import Crypto
import Foundation
import LoomCore
import LoomImaging
import LoomImages

/// `loom decode FILE...`: what Loom makes of single images, for debugging one file.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Print each image's size and the sha256 of its full-size RGBA8 pixels; with --out, write the normalised PNG.")

    @Argument(help: "Image files (JPEG or PNG).")
    var files: [String]

    @Option(help: "Side of the normalised square.")
    var size: Int = ImagesSettings.defaults.size

    @Option(help: "Write <name>.png of the normalised pixels here.")
    var out: String?

    @Flag(help: "Keep JPEGs whose decoder recovered from damage.")
    var lenient = false

    func run() throws {
        try requiringVectorUnits {
            let normalizer = ImageNormalizer(size: size, resizeShorter: max(size, size * 8 / 7), lenient: lenient)
            var failures = 0
            for file in files {
                let (bytes, readError) = ImageFile.read(file)
                guard let bytes else {
                    print("\(file): \(readError?.description ?? "io_error")")
                    failures += 1
                    continue
                }
                do {
                    // Full size, as stored (no EXIF turn): comparable with other decoders' hashes.
                    let full = try normalizer.decodeUpright(bytes, scaled: false, upright: false)
                    let digest = ContentHash.hex(SHA256.hash(data: Data(full.pixels)))
                    print("\(file): \(full.width)x\(full.height) rgba8 sha256 \(digest)")
                    if let out {
                        let pixels = try normalizer.normalize(bytes)
                        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension + ".png"
                        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                        let png = try PNGEncoder.encode(pixels, width: size, height: size)
                        let path = (out as NSString).appendingPathComponent(name)
                        guard FileManager.default.createFile(atPath: path, contents: Data(png)) else {
                            throw LoomError.cannotCreateOutput(path: path, reason: "cannot write the PNG")
                        }
                    }
                } catch let error as ImageError {
                    print("\(file): \(error.reason.rawValue): \(error.message)")
                    failures += 1
                }
            }
            if failures > 0 { throw ExitCode(ExitStatus.dataRejected.rawValue) }
        }
    }
}
