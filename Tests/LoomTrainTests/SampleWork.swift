import Foundation
import LoomCore
import LoomFeatures
import LoomImaging
import LoomImages
import LoomIngest
import LoomTestSupport
import LoomTokenizers
import LoomText
import LoomTriplets

/// A work directory made from the committed SampleData by the real ingest, images, features, text
/// (titles only, to keep training tests short) and triplets stages; built once per test run.
enum SampleWork {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let startModel = root.appendingPathComponent("Models/loomnet-v1").path

    static let shared: Result<TemporaryDirectory, Error> = Result { try build() }

    static func directory() throws -> TemporaryDirectory { try shared.get() }

    static func context(_ work: String, threads: Int = 2, seed: UInt64 = 1) -> StageContext {
        StageContext(workDirectory: work, threads: threads, seed: seed, showProgress: false)
    }

    private static func build() throws -> TemporaryDirectory {
        let work = TemporaryDirectory("loom-train-sample")
        let sample = root.appendingPathComponent("SampleData").path
        func path(_ name: String) -> String { (sample as NSString).appendingPathComponent(name) }
        let runner = StageRunner(context: context(work.path))
        try runner.run(IngestStage(), settings: IngestSettings(
            catalog: [path("catalog/meta_2014_loose.json.gz"), path("catalog/meta_2018.jsonl"), path("catalog/meta_2023.jsonl")],
            images: [path("images")], maxRejectRatio: 0.05))
        try runner.run(ImagesStage(), settings: ImagesSettings.defaults)
        var features = FeaturesSettings.defaults
        features.model = startModel
        try runner.run(FeaturesStage(), settings: features)
        var text = TextSettings.defaults
        text.vocab = root.appendingPathComponent("Models/wordpiece/vocab.txt").path
        text.fields = [.title]
        try runner.run(TextStage(), settings: text)
        try runner.run(TripletStage(), settings: TripletSettings.defaults)
        return work
    }
}
