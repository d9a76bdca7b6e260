import Foundation
import LoomCore

/// Generates SampleData: a small fashion catalog in the three real Amazon shapes, one studio
/// picture per product, co-purchase lists from hidden outfit rules, and a corrupt set. The same
/// seed gives the same bytes.
public struct SampleDataGenerator: Sendable {
    public static let defaultSeed: UInt64 = 2026

    public let seed: UInt64

    public init(seed: UInt64 = SampleDataGenerator.defaultSeed) {
        self.seed = seed
    }

    /// What was written, for the summary line.
    public struct Summary: Sendable {
        public var products: Int
        public var images: Int
        public var corruptFiles: Int
        public var bytes: Int
    }

    /// Writes everything to a temporary folder beside `directory`, then replaces `directory`, so
    /// stale files never survive and an interrupted run leaves the old SampleData alone.
    @discardableResult
    public func write(to directory: String) throws -> Summary {
        let manager = FileManager.default
        let staging = directory.hasSuffix("/") ? String(directory.dropLast()) + ".tmp-\(getpid())" : directory + ".tmp-\(getpid())"
        try? manager.removeItem(atPath: staging)
        var files = try generate()
        files.sort { $0.path < $1.path }
        var bytes = 0
        do {
            for file in files {
                let path = (staging as NSString).appendingPathComponent(file.path)
                try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try file.data.write(to: URL(fileURLWithPath: path))
                bytes += file.data.count
            }
            if manager.fileExists(atPath: directory) { try manager.removeItem(atPath: directory) }
            try manager.moveItem(atPath: staging, toPath: directory)
        } catch {
            try? manager.removeItem(atPath: staging)
            throw LoomError.cannotCreateOutput(path: directory, reason: "\(error)")
        }
        let products = files.filter { $0.path.hasPrefix("images/") }.count
        return Summary(products: products, images: products,
                       corruptFiles: files.filter { $0.path.hasPrefix("corrupt/") }.count, bytes: bytes)
    }

    /// Every file of SampleData as (relative path, bytes).
    public func generate() throws -> [(path: String, data: Data)] {
        let products = self.products()

        var files: [(path: String, data: Data)] = []
        let painter = GarmentPainter()
        var firstJPEG: Data?
        var firstPNG: Data?
        // Images are independent: paint and encode them in parallel, in fixed slots.
        let encoded = try ParallelMap.map(products, threads: ProcessInfo.processInfo.activeProcessorCount) { product in
            try SampleDataGenerator.encodeImage(product, painter: painter)
        }
        for (product, data) in zip(products, encoded) {
            files.append(("images/\(product.imageFileName)", data))
            if product.imageFormat == .baselineJPEG, product.orientation == 1, firstJPEG == nil { firstJPEG = data }
            if product.imageFormat == .alphaPNG, firstPNG == nil { firstPNG = data }
        }

        var loose: [String] = []
        var strict: [String] = []
        var lines2023: [String] = []
        for (index, product) in products.enumerated() {
            var random = SeededRandom(seed: seed, key: "catalog:\(product.asin)")
            let rank = random.int(in: 1_000...900_000)
            switch product.shape {
            case .loose2014: loose.append(CatalogRecord.loose2014(product, salesRank: rank))
            case .strict2018: strict.append(CatalogRecord.strict2018(product, salesRank: rank))
            case .lines2023:
                let rating = Double(random.int(in: 30...50)) / 10
                lines2023.append(CatalogRecord.lines2023(product, rating: rating, ratingCount: random.int(in: 1...4000),
                                                         withCategories: index % 2 == 0))
            }
        }
        files.append(("catalog/meta_2014_loose.json.gz", try GzipWriter.compress(Data(SampleDataGenerator.joinLines(loose).utf8))))
        files.append(("catalog/meta_2018.jsonl", Data(SampleDataGenerator.joinLines(strict).utf8)))
        files.append(("catalog/meta_2023.jsonl", Data(SampleDataGenerator.joinLines(lines2023).utf8)))

        guard let jpeg = firstJPEG, let png = firstPNG,
              let duplicated = products.first(where: { $0.shape == .strict2018 }) else {
            throw LoomError.internalError("sample data lacks a plain JPEG, a PNG or a 2018 product to corrupt")
        }
        var duplicate = duplicated
        duplicate.title += " (Duplicate Listing)"
        let corrupt = CorruptSet.files(validJPEG: jpeg, validPNG: png,
                                       duplicateLine: CatalogRecord.strict2018(duplicate, salesRank: 1),
                                       duplicateAsin: duplicated.asin)
        for (entry, data) in corrupt { files.append(("corrupt/\(entry.path)", data)) }

        files.append(("truth.jsonl", Data(SampleDataGenerator.joinLines(products.map(SampleDataGenerator.truthLine)).utf8)))
        files.append(("README.md", Data(readme(products: products, corrupt: corrupt.map(\.0)).utf8)))
        return files
    }

    /// The products with their co-purchase lists, before they are written out.
    func products() -> [Product] {
        var products = ProductFactory(seed: seed).makeProducts()
        OutfitRules.assignCoPurchases(&products, seed: seed)
        return products
    }

    static func encodeImage(_ product: Product, painter: GarmentPainter) throws -> Data {
        switch product.imageFormat {
        case .alphaPNG:
            return try ImageEncoder.png(painter.paint(product, transparent: true))
        case .baselineJPEG, .progressiveJPEG:
            return try ImageEncoder.jpeg(painter.paint(product, transparent: false), quality: 80,
                                         progressive: product.imageFormat == .progressiveJPEG,
                                         orientation: product.orientation)
        }
    }

    private static func joinLines(_ lines: [String]) -> String {
        lines.map { $0 + "\n" }.joined()
    }

    /// The hidden attributes, for tests and evaluation only; no stage reads this file.
    private static func truthLine(_ product: Product) -> String {
        OrderedJSON.object([
            ("asin", .string(product.asin)),
            ("kind", .string(product.kind.rawValue)),
            ("style", .string(product.style.rawValue)),
            ("color", .string(product.color.name)),
            ("pattern", .string(product.pattern.rawValue)),
            ("shape", .string(product.shape.rawValue)),
            ("image", .string(product.imageFileName)),
            ("orientation", .integer(product.orientation)),
            ("width", .integer(product.width)),
            ("height", .integer(product.height)),
        ]).text
    }

    private func readme(products: [Product], corrupt: [CorruptSet.Entry]) -> String {
        let counts = Product.Kind.allCases.map { kind in "\(kind.rawValue) \(products.filter { $0.kind == kind }.count)" }
        let progressive = products.filter { $0.imageFormat == .progressiveJPEG }.count
        let png = products.filter { $0.imageFormat == .alphaPNG }.count
        let rotated = products.filter { $0.orientation != 1 }.count
        return """
            # SampleData

            Generated by `loom sample-data --out SampleData --seed \(seed)` (also `make fixtures`); the same
            seed gives the same bytes, and `make test` checks that. Do not edit by hand.
            Licence: generated by Loom, no third-party content; same licence as the project.

            A small fashion catalog of \(products.count) products (\(counts.joined(separator: ", "))).

            - `catalog/meta_2014_loose.json.gz`: 2014 shape, Python-literal lines (not JSON), gzip.
            - `catalog/meta_2018.jsonl`: 2018 shape, strict JSON lines, HTML in text fields, `also_buy`/`also_view`.
            - `catalog/meta_2023.jsonl`: 2023 shape, `parent_asin`, `images[]`, no co-purchase lists, half without categories.
            - `images/`: one studio picture per product, 400-1600 px, mostly `<asin>.jpg`; \(progressive) progressive
              JPEGs, \(png) PNGs with alpha, \(rotated) JPEGs stored rotated with an EXIF orientation; a few files are named
              after the end of the image URL instead of the asin.
            - `truth.jsonl`: the hidden attributes (kind, style, colour, pattern) for tests and evaluation; no stage reads it.
            - `corrupt/`: input every stage must survive with a reject:
            \(corrupt.map { "  - `\($0.path)`: \($0.problem)" }.joined(separator: "\n"))

            Hidden outfit rules behind the "also bought" lists: kinds must complement each other (no two of a kind,
            no dress with a top or a bottom); styles must match (one style per outfit); colours must
            harmonise (neutrals go with anything; earth+cool, pastel+cool, warm+earth). Each 2014/2018 product lists
            4-10 compatible partners plus up to 1 random item of noise.

            """
    }
}
