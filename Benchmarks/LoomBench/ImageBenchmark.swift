import Foundation
import LoomCore
import LoomImaging

/// The images pipeline (decode → orient → resize 256 → crop 224) on 200 synthetic garment photos
/// (1000² and 1500², JPEG q90 4:2:0, half baseline, half progressive) and 50 PNGs (1000², RGB and
/// RGBA), at 1 and 2 threads, beside Pillow (draft + resize + crop) on one core, Loom's own
/// decode-only time, and the decode-only floor of a plain C program with the same system libraries.
enum ImageBenchmark {
    static let peer = "Benchmarks/peers/images_pillow.py"
    static let floorSource = "Benchmarks/peers/decode_floor.c"

    /// A photo-like picture: soft lighting, a garment-shaped blob, woven texture, sensor noise.
    static func photo(side: Int, seed: UInt64, alpha: Bool) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        let channels = alpha ? 4 : 3
        var pixels = [UInt8](repeating: 0, count: side * side * channels)
        let hue = (random.unit(), random.unit(), random.unit())
        for y in 0..<side {
            for x in 0..<side {
                let u = Double(x) / Double(side) - 0.5, v = Double(y) / Double(side) - 0.5
                let inside = u * u / 0.09 + v * v / 0.16 < 1
                let texture = 0.08 * sin(Double(x) * 0.9) * sin(Double(y) * 0.7)
                let light = 0.85 - 0.3 * v + texture
                let noise = Double(Int(random.next() % 9) - 4)
                let base = inside ? (hue.0 * 200 + 30, hue.1 * 200 + 30, hue.2 * 200 + 30) : (235.0, 235.0, 232.0)
                let offset = (y * side + x) * channels
                pixels[offset] = UInt8(max(0, min(255, base.0 * light + noise)))
                pixels[offset + 1] = UInt8(max(0, min(255, base.1 * light + noise)))
                pixels[offset + 2] = UInt8(max(0, min(255, base.2 * light + noise)))
                if alpha { pixels[offset + 3] = inside ? 255 : 0 }
            }
        }
        return pixels
    }

    static func run(scratch: String, repeats: Int) throws {
        var sets: [(name: String, files: [[UInt8]])] = [("baseline JPEG", []), ("progressive JPEG", []), ("PNG", [])]
        for index in 0..<100 {
            let side = index % 2 == 0 ? 1000 : 1500
            let rgb = photo(side: side, seed: UInt64(index), alpha: false)
            sets[0].files.append(try JPEGEncoder.encode(rgb, width: side, height: side, quality: 90))
            sets[1].files.append(try JPEGEncoder.encode(photo(side: side, seed: UInt64(1000 + index), alpha: false),
                                                        width: side, height: side, quality: 90, progressive: true))
        }
        for index in 0..<50 {
            let alpha = index % 2 == 1
            sets[2].files.append(try PNGEncoder.encode(photo(side: 1000, seed: UInt64(2000 + index), alpha: alpha),
                                                       width: 1000, height: 1000, channels: alpha ? 4 : 3))
        }
        let normalizer = ImageNormalizer()
        // The issue's "C decode-only floor": libjpeg/libpng alone in a small C program, built here.
        let floorProgram = (scratch as NSString).appendingPathComponent("decode_floor")
        /// Images/s a peer program prints for one pass, or nil when it cannot run.
        func peerRate(_ arguments: [String]) throws -> Double? {
            let run = try runChild(arguments)
            return run.status == 0 ? Double(run.output.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
        }
        let compile = try runChild(["sh", "-c", "cc -O2 -o '\(floorProgram)' \(floorSource) $(pkg-config --cflags --libs libjpeg libpng)"])
        for set in sets {
            let list = (scratch as NSString).appendingPathComponent("images.txt")
            var paths: [String] = []
            for (index, bytes) in set.files.enumerated() {
                let path = (scratch as NSString).appendingPathComponent("image-\(index).\(set.name == "PNG" ? "png" : "jpg")")
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                paths.append(path)
            }
            try paths.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
            let files = set.files
            // Rounds of one pass each: Loom at 1 and 2 threads, Loom's decode alone, the C floor and
            // Pillow, one after the other, so that drift on this shared machine hits all alike; the
            // ratios are the medians of each round's own ratio.
            var loom: [Int: [Double]] = [1: [], 2: []]
            var decodeOnly: [Double] = [], cFloor: [Double] = [], pillow: [Double] = []
            for _ in 0..<repeats {
                for threads in [1, 2] {
                    let seconds = medianSeconds(repeats: 1) {
                        _ = try? ParallelMap.map(files, threads: threads) { bytes in try normalizer.normalize(bytes) }
                    }
                    loom[threads]!.append(Double(files.count) / seconds)
                }
                // The decoders alone (JPEG at the DCT scale the pipeline picks, PNG to RGB8 on white).
                decodeOnly.append(Double(files.count) / medianSeconds(repeats: 1) {
                    for bytes in files { _ = try? normalizer.decodeOnly(bytes) }
                })
                if compile.status == 0, let rate = try peerRate([floorProgram, list, "1"]) { cFloor.append(rate) }
                if let rate = try peerRate(["python3", peer, list, "1"]) { pillow.append(rate) }
            }
            let one = median(loom[1]!), two = median(loom[2]!)
            func ratios(_ peers: [Double]) -> (median: Double, low: Double, high: Double) {
                let each = zip(loom[1]!, peers).map { $0 / $1 }
                return (median(each), each.min() ?? .nan, each.max() ?? .nan)
            }
            let own = ratios(decodeOnly)
            row("images \(set.name) (\(files.count)), 1 thread", String(format: "%.0f /s", one),
                String(format: "Loom's decode alone %.0f /s: %.0f%% of it", median(decodeOnly), 100 * own.median))
            let scaling = zip(loom[2]!, loom[1]!).map { $0 / $1 }
            row("images \(set.name), 2 threads", String(format: "%.0f /s", two), String(format: "scaling %.2fx", median(scaling)))
            if cFloor.count == repeats {
                let floor = ratios(cFloor)
                row("  C decode-only floor (libjpeg/libpng alone)", String(format: "%.0f /s", median(cFloor)),
                    String(format: "loom 1 thread = %.0f%% of it (rounds %.0f-%.0f%%)", 100 * floor.median, 100 * floor.low, 100 * floor.high))
            } else {
                row("  C decode-only floor (libjpeg/libpng alone)", "not built", "needs cc and pkg-config")
            }
            if pillow.count == repeats {
                let versus = ratios(pillow)
                row("  Pillow draft + resize + crop, 1 core", String(format: "%.0f /s", median(pillow)),
                    String(format: "loom 1 thread / Pillow = %.2f (rounds %.2f-%.2f)", versus.median, versus.low, versus.high))
            } else {
                row("  Pillow draft + resize + crop, 1 core", "not installed", "pip install pillow")
            }
            for path in paths { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}
