import ArgumentParser
import Foundation
import LoomCore
import LoomSampleData

/// `loom sample-data --out SampleData`: regenerate the sample catalog, images and corrupt set;
/// with `--items N`, a catalog of N products in the same shapes and outfit rules, for measuring
/// Loom at scale (and with `--churn P`, the next night's catalog too).
struct SampleDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-data", abstract: "Generate SampleData (catalog, images, corrupt set) from a seed, or a catalog of any size.",
        discussion: """
            Without --items: the committed SampleData (replaced as a whole). With --items N: DIR/catalog/meta.jsonl and \
            DIR/images/ for N products (2018 shape, 256-512 px photos); with --churn P as well, DIR/next/ holds the next \
            night's catalog, in which P% of the items are new, P% retitled, P% re-photographed and P% gone, and only its new \
            photos (read it with both image folders).
            """)

    @Option(help: "Output folder.")
    var out: String = "SampleData"

    @Option(help: "Seed of the generator (the committed SampleData uses the default).")
    var seed: UInt64 = SampleDataGenerator.defaultSeed

    @Option(help: "Products of a catalog at scale (omit for SampleData).")
    var items: Int?

    @Option(help: "With --items: percent of items new, retitled, re-photographed and gone the next night (each; up to 25).")
    var churn: Double?

    @Flag(help: "With --items: write the catalog without painting its photos (text-only runs at millions of items).")
    var noPhotos = false

    func validate() throws {
        if churn != nil && items == nil { throw ValidationError("--churn needs --items") }
        if noPhotos && items == nil { throw ValidationError("--no-photos needs --items") }
    }

    func run() throws {
        try requiringVectorUnits {
            let started = Date()
            if let items {
                let summary = try ScaleSampleGenerator(items: items, seed: seed, churn: churn.map { $0 / 100 }, photos: !noPhotos).write(to: out)
                let seconds = Date().timeIntervalSince(started)
                var line = String(format: "sample-data: %d products, %d photos", summary.products, summary.photos)
                if churn != nil { line += String(format: "; next night %d products, %d new photos", summary.nextProducts, summary.nextPhotos) }
                print(line + String(format: ", %.1f MB in %.1f s (%.0f products/s) → %@", Double(summary.bytes) / 1e6, seconds,
                                    Double(summary.products + summary.nextPhotos) / max(seconds, 1e-9), out))
                return
            }
            let summary = try SampleDataGenerator(seed: seed).write(to: out)
            let seconds = Date().timeIntervalSince(started)
            print(String(format: "sample-data: %d products, %d images, %d corrupt files, %.1f MB in %.1f s → %@",
                         summary.products, summary.images, summary.corruptFiles, Double(summary.bytes) / 1e6, seconds, out))
        }
    }
}
