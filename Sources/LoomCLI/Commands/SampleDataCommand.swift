import ArgumentParser
import Foundation
import LoomCore
import LoomSampleData

/// `loom sample-data --out SampleData`: regenerate the sample catalog, images and corrupt set.
struct SampleDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-data", abstract: "Generate SampleData (catalog, images, corrupt set) from a seed.")

    @Option(help: "Output folder; replaced as a whole.")
    var out: String = "SampleData"

    @Option(help: "Seed of the generator (the committed SampleData uses the default).")
    var seed: UInt64 = SampleDataGenerator.defaultSeed

    func run() throws {
        try reportingErrors {
            let started = Date()
            let summary = try SampleDataGenerator(seed: seed).write(to: out)
            let seconds = Date().timeIntervalSince(started)
            print(String(format: "sample-data: %d products, %d images, %d corrupt files, %.1f MB in %.1f s → %@",
                         summary.products, summary.images, summary.corruptFiles, Double(summary.bytes) / 1e6, seconds, out))
        }
    }
}
