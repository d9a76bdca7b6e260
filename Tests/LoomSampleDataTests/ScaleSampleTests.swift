import Foundation
import LoomCore
import LoomTestSupport
import Testing
@testable import LoomSampleData

/// `loom sample-data --items N --churn P`: a catalog of any size with SampleData's outfit rules,
/// and the next night's.
@Suite struct ScaleSampleTests {
    static func catalog(_ path: String) throws -> [String: [String: Any]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        return Dictionary(uniqueKeysWithValues: try lines.map {
            let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            return (object["asin"] as! String, object)
        })
    }

    @Test func writesTheCatalogAndTheNextNightAndTheSameBytesAgain() throws {
        let out = TemporaryDirectory("loom-scale-sample")
        let summary = try ScaleSampleGenerator(items: 400, seed: 7, churn: 0.05).write(to: out.path)
        let night1 = try Self.catalog(out.file("catalog/meta.jsonl")), night2 = try Self.catalog(out.file("next/catalog/meta.jsonl"))
        #expect(night1.count == 400 && summary.products == 400)
        let photos = try FileManager.default.contentsOfDirectory(atPath: out.file("images"))
        #expect(photos.count == summary.photos && summary.photos < 400 && summary.photos > 360, "some colour variants share a photo")
        // Every product's photo is there, named as its image URL names it.
        for object in night1.values {
            let url = (object["imageURLHighRes"] as! [String])[0]
            #expect(photos.contains((url as NSString).lastPathComponent))
        }
        let gone = Set(night1.keys).subtracting(night2.keys), added = Set(night2.keys).subtracting(night1.keys)
        let kept = Set(night1.keys).intersection(night2.keys)
        let retitled = kept.filter { (night1[$0]!["title"] as! String) != (night2[$0]!["title"] as! String) }
        let rephotographed = kept.filter { (night1[$0]!["imageURLHighRes"] as! [String]) != (night2[$0]!["imageURLHighRes"] as! [String]) }
        #expect(added.count == 20, "5% of 400 new")
        for (name, set) in [("gone", gone), ("retitled", retitled), ("new photo", rephotographed)] {
            #expect((8...32).contains(set.count), "\(name): \(set.count) of 400 at 5%")
        }
        let newPhotos = try FileManager.default.contentsOfDirectory(atPath: out.file("next/images"))
        #expect(newPhotos.count == summary.nextPhotos && newPhotos.count == rephotographed.count + added.count)

        let again = TemporaryDirectory("loom-scale-sample-again")
        try ScaleSampleGenerator(items: 400, seed: 7, churn: 0.05).write(to: again.path)
        for file in ["catalog/meta.jsonl", "next/catalog/meta.jsonl", "images/" + photos.sorted()[0]] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: out.file(file))) == Data(contentsOf: URL(fileURLWithPath: again.file(file))))
        }
    }

    /// The partners drawn from buckets obey the hidden rules as SampleData's do: every "also
    /// bought" item but at most one (the noise) is compatible with the product.
    /// Without photos: the same catalog lines (they name the photos all the same), no image files.
    @Test func withoutPhotosTheCatalogIsTheSameAndNoPhotoIsWritten() throws {
        let with = TemporaryDirectory("loom-scale-photos"), without = TemporaryDirectory("loom-scale-no-photos")
        try ScaleSampleGenerator(items: 120, seed: 7, churn: 0.05).write(to: with.path)
        let summary = try ScaleSampleGenerator(items: 120, seed: 7, churn: 0.05, photos: false).write(to: without.path)
        #expect(summary.photos == 0 && summary.nextPhotos == 0)
        for name in ["catalog/meta.jsonl", "next/catalog/meta.jsonl"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: without.file(name))) == Data(contentsOf: URL(fileURLWithPath: with.file(name))))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: without.file("images")).isEmpty)
    }

    @Test func coPurchasesFollowTheOutfitRules() {
        let factory = ProductFactory(seed: 3)
        var products = (0..<2000).map { factory.makeScaleProduct(serial: $0) }
        OutfitBuckets(products).assignCoPurchases(&products, indices: products.indices, seed: 3)
        let byAsin = Dictionary(uniqueKeysWithValues: products.map { ($0.asin, $0) })
        var listed = 0
        for product in products {
            let incompatible = product.alsoBought.filter { !OutfitRules.compatible(product, byAsin[$0]!) }
            #expect(incompatible.count <= 1, "\(product.asin)")
            #expect(product.boughtTogether.allSatisfy { OutfitRules.compatible(product, byAsin[$0]!) })
            #expect(product.alsoViewed.allSatisfy { byAsin[$0]!.kind == product.kind && $0 != product.asin })
            listed += product.alsoBought.count
        }
        #expect(listed > 2000 * 4, "4-10 partners each")
    }
}
