import Foundation
import LoomCore

/// A catalog of any size in SampleData's shapes and hidden outfit rules (`loom sample-data
/// --items N`), for measuring Loom at scale: `catalog/meta.jsonl` (2018 shape, co-purchase
/// lists), `images/` (one 256-512 px photo per product, named as its image URL names it; about
/// one product in forty is a colour variant sharing the previous product's photo, as real
/// listings do), and with a churn `next/`: the next night's full catalog and only its new photos
/// (for new items and replaced photos), to be read with both image folders. The same seed, size
/// and churn give the same bytes.
public struct ScaleSampleGenerator: Sendable {
    public let items: Int
    public let seed: UInt64
    /// The share of items that are new, retitled, re-photographed and gone the next night (each).
    public let churn: Double?
    /// Whether photos are painted; without them the catalog still names its image files and
    /// URLs (for the text-only scale runs: ingest, text, triplets, embed, index at millions).
    public let photos: Bool

    /// Catalog lines made per parallel task.
    static let batch = 1024
    /// What the next night adds to a retitled product's title.
    static let retitledSuffix = " - New Season"

    public init(items: Int, seed: UInt64 = SampleDataGenerator.defaultSeed, churn: Double? = nil, photos: Bool = true) {
        self.items = items
        self.seed = seed
        self.churn = churn
        self.photos = photos
    }

    public struct Summary: Sendable {
        public var products: Int
        public var photos: Int
        public var nextProducts: Int
        public var nextPhotos: Int
        public var bytes: Int
    }

    /// Writes into `directory` (created; files there with the same names are replaced).
    @discardableResult
    public func write(to directory: String) throws -> Summary {
        guard items >= 1 else { throw LoomError.usage("--items must be at least 1", key: "items") }
        if let churn, !(0...0.25).contains(churn) {
            throw LoomError.usage("--churn must be a share between 0 and 0.25 (each of new, retitled, new photo and gone)", key: "churn")
        }
        let factory = ProductFactory(seed: seed)
        var products = try ParallelMap.map(Array(0..<items), threads: ProcessInfo.processInfo.activeProcessorCount) {
            factory.makeScaleProduct(serial: $0)
        }
        shareSomePhotos(&products)
        OutfitBuckets(products).assignCoPurchases(&products, indices: products.indices, seed: seed)
        var summary = Summary(products: products.count, photos: 0, nextProducts: 0, nextPhotos: 0, bytes: 0)
        let night1 = try write(products, photosOf: photos ? products : [], to: directory)
        (summary.photos, summary.bytes) = (night1.photos, night1.bytes)
        if let churn {
            let (next, changed) = nextNight(products, churn: churn, factory: factory)
            let night2 = try write(next, photosOf: photos ? changed : [], to: (directory as NSString).appendingPathComponent("next"))
            (summary.nextProducts, summary.nextPhotos) = (next.count, night2.photos)
            summary.bytes += night2.bytes
        }
        return summary
    }

    /// Colour variants: a product of the same kind as the one before it sometimes shows that
    /// product's photo (the listing's other colours are not photographed).
    private func shareSomePhotos(_ products: inout [Product]) {
        for index in products.indices.dropFirst() where products[index].kind == products[index - 1].kind {
            var random = SeededRandom(seed: seed, key: "scale-variant:\(products[index].asin)")
            guard random.unit() < 0.15 else { continue }
            let owner = products[index - 1]
            products[index].imageFileName = owner.imageFileName
            products[index].imageURL = owner.imageURL
            products[index].imageFormat = owner.imageFormat
        }
    }

    /// The next night's catalog and the products whose photos are new: each item is gone,
    /// retitled or re-photographed with chance `churn` each (keyed by its asin), and
    /// `churn × items` new items join, with co-purchase lists among the night's items.
    private func nextNight(_ products: [Product], churn: Double, factory: ProductFactory) -> ([Product], [Product]) {
        var next: [Product] = []
        var changed: [Product] = []
        for var product in products {
            var random = SeededRandom(seed: seed, key: "scale-churn:\(product.asin)")
            let roll = random.unit()
            if roll < churn { continue }
            if roll < 2 * churn {
                product.title += Self.retitledSuffix
            } else if roll < 3 * churn {
                product.setPhoto(stem: "72" + product.asin.suffix(8) + "L")
                product.width -= 8
                changed.append(product)
            }
            next.append(product)
        }
        let newCount = Int((churn * Double(items)).rounded())
        let firstNew = next.count
        next += (items..<(items + newCount)).map { factory.makeScaleProduct(serial: $0) }
        OutfitBuckets(next).assignCoPurchases(&next, indices: firstNew..<next.count, seed: seed)
        changed += next[firstNew...]
        return (next, changed)
    }

    /// `catalog/meta.jsonl` of `products` and the photos of `photosOf` (each file once) under `directory`.
    private func write(_ products: [Product], photosOf painted: [Product], to directory: String) throws -> (photos: Int, bytes: Int) {
        let manager = FileManager.default
        let images = (directory as NSString).appendingPathComponent("images")
        let catalogFolder = (directory as NSString).appendingPathComponent("catalog")
        var bytes = 0
        do {
            try manager.createDirectory(atPath: images, withIntermediateDirectories: true)
            try manager.createDirectory(atPath: catalogFolder, withIntermediateDirectories: true)
            let seed = self.seed
            let lines = try ParallelMap.map(Array(stride(from: 0, to: products.count, by: Self.batch)),
                                            threads: ProcessInfo.processInfo.activeProcessorCount) { start in
                var text = ""
                for product in products[start..<min(start + Self.batch, products.count)] {
                    var random = SeededRandom(seed: seed, key: "catalog:\(product.asin)")
                    text += CatalogRecord.strict2018(product, salesRank: random.int(in: 1_000...900_000)) + "\n"
                }
                return Data(text.utf8)
            }.reduce(into: Data()) { $0.append($1) }
            try lines.write(to: URL(fileURLWithPath: (catalogFolder as NSString).appendingPathComponent("meta.jsonl")))
            bytes += lines.count
            var seen = Set<String>()
            let owners = painted.filter { seen.insert($0.imageFileName).inserted }
            // Each worker paints, encodes and writes its own photos: the writes overlap the painting.
            let painter = GarmentPainter()
            let written = try ParallelMap.map(owners, threads: ProcessInfo.processInfo.activeProcessorCount) { product in
                let data = try SampleDataGenerator.encodeImage(product, painter: painter)
                try Self.writeFile((images as NSString).appendingPathComponent(product.imageFileName), data)
                return data.count
            }
            return (owners.count, bytes + written.reduce(0, +))
        } catch let error as LoomError {
            throw error
        } catch {
            throw LoomError.cannotCreateOutput(path: directory, reason: "\(error)")
        }
    }

    /// Writes `data` to `path` with open/write/close: Foundation's `Data.write` took ten times as
    /// long per small file here, and a catalog at scale writes a hundred thousand photos.
    static func writeFile(_ path: String, _ data: Data) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw LoomError.cannotCreateOutput(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        try data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + done, raw.count - done)
                guard written > 0 else { throw LoomError.cannotCreateOutput(path: path, reason: String(cString: strerror(errno))) }
                done += written
            }
        }
    }
}
