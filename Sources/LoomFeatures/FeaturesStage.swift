import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomInference

/// Stage features: the frozen MobileNetV2 backbone over each distinct stored image →
/// `work/features.sqlite` (its pooled 1280-d features, and which image each item has). Train and
/// embed read the features from here, so the backbone (nearly all of the model's arithmetic)
/// runs once per image: once for a photo shared by many items, and not again on a later run for
/// an image whose stored bytes and backbone are unchanged (a rerun updates the previous output
/// in place and keeps those rows). A stored image the backbone cannot take is a reject of each item with it.
public struct FeaturesStage: Stage {
    public typealias Settings = FeaturesSettings

    public static let name = StageOutputFile.features.stage
    public static let outputFileName = StageOutputFile.features.fileName
    /// Items' rows by id, features as a set (shards may share an image).
    public static let shardMerge: ShardMerge? = ShardMerge(summary: distinctSummary)
    /// What this stage computes from an image: preprocessing, backbone, average pooling. A
    /// previous output's rows are reused only under the same version and backbone weights, not
    /// the same Loom version, so a release that does not change this computation keeps them.
    public static let algorithm = "mobilenetv2-pooled/1"
    /// The version of the tables the features are kept in: a rerun starts from a copy of the
    /// previous output only when that has the same tables.
    static let layout = 2

    public init() {}

    /// The catalog (which items there are), the stored images, and the files that make up the
    /// backbone: the model's config (image size, normalisation) and the weights holding it.
    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        return [StageOutputFile.catalog.input, StageOutputFile.images.input]
            + ModelInput.backboneFiles(settings.model).map { .file(label: "model", path: $0) }
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        let network = try LoomNet(directory: settings.model, backbonePrecision: settings.precision)
        let backbone = try BackboneFingerprint.of(directory: settings.model)
        let catalog = try StageOutputReader.open(path: context.workPath(.catalog))
        let images = try StageOutputReader.open(path: context.workPath(.images))
        // Features of the other precision are other numbers: not reused (fp32's key is the one
        // every earlier release wrote).
        let reuseKey = "\(Self.algorithm) layout \(Self.layout) backbone \(backbone)" + (settings.precision == .fp32 ? "" : " \(settings.precision.rawValue)")
        // A rerun updates the previous output in place: its features stay where they are, the
        // items' rows are written again (ids follow today's catalog).
        let adopted = try output.updatePreviousInPlace(reuseKey: reuseKey, schema: StageOutputFile.features.schema,
                                                       upgrade: StageOutputFile.featuresIndexUpgrade)
        defer { try? catalog.close(); try? images.close() }
        try output.write { db in try db.execute(sql: adopted ? "DELETE FROM items" : StageOutputFile.features.schema) }

        let progress = context.progress("features", total: try CatalogReader.itemCount(catalog))
        defer { progress.finish() }
        var counts = ["images": 0, "items_without_image": 0, "distinct_images": 0, "reused": 0, "computed": 0]
        // The distinct images seen so far, and those the backbone could not take (with the
        // reason), so that every item sharing such an image is rejected alike.
        var seen: Set<String> = []
        var failed: [String: String] = [:]
        var after = Int64.min
        var clock = ComputeClock()
        while true {
            // Which image each item has, by its hash: the pixels are read only for images to compute.
            let chunk = try WorkItemReader.chunk(after: after, catalog: catalog)
            guard let first = chunk.first, let last = chunk.last else { break }
            after = last.id
            let imageOf = try ImagesReader.pixelHashes(images, ids: first.id...last.id)
            let items = chunk.filter { context.shard.contains(key: $0.asin) }
            counts["items_without_image", default: 0] += items.count(where: { imageOf[$0.id] == nil })
            let withImage = items.compactMap { item in imageOf[item.id].map { (item: item, hash: $0) } }
            let firstSeen = withImage.map(\.hash).filter { seen.insert($0).inserted }
            let kept = adopted ? try output.write { db in try Self.present(firstSeen, in: db) } : []
            let toCompute = firstSeen.filter { !kept.contains($0) }
            let stored = try ImagesReader.storedImages(images, hashes: toCompute)
            let size = network.config.imageSize
            let computed = try clock.time {
                try ParallelMap.map(toCompute, threads: context.threads) { hash -> Result<Data, ModelInput.StoredImageProblem> in
                    guard let image = stored[hash] else { return .failure(.init(detail: "the stored image went missing")) }
                    return ModelInput.storedPixels(image, size: size).map { FloatBlob.encode(network.visualFeatures($0)) }
                }
            }
            try output.write { db in
                let insertFeatures = try BoundStatement(db, sql: "INSERT INTO features (image_hash, visual, content_hash) VALUES (?, ?, ?)")
                for (hash, result) in zip(toCompute, computed) {
                    switch result {
                    case .success(let blob):
                        insertFeatures.bind(1, hash)
                        insertFeatures.bind(2, blob)
                        insertFeatures.bind(3, Self.rowHash(imageHash: hash, visual: blob))
                        try insertFeatures.run()
                    case .failure(let problem):
                        failed[hash] = problem.detail
                    }
                }
                let insertItem = try BoundStatement(db, sql: "INSERT INTO items (id, image_hash) VALUES (?, ?)")
                for (item, hash) in withImage {
                    if let detail = failed[hash] {
                        output.rejects.record(source: item.asin, position: "item \(item.id)", reason: ModelInput.badImage, detail: detail)
                        continue
                    }
                    insertItem.bind(1, item.id)
                    insertItem.bind(2, hash)
                    try insertItem.run()
                }
            }
            counts["images", default: 0] += withImage.count
            counts["reused", default: 0] += kept.count
            counts["computed", default: 0] += toCompute.count
            progress.advance(by: chunk.count)
        }
        try output.write { db in
            // Features of images no item has any longer: absent from a fresh run, so gone here.
            // (Their hashes come from the index, not from rows of 5 kB.)
            if adopted {
                try db.execute(sql: """
                    DELETE FROM features WHERE image_hash IN (SELECT image_hash FROM features EXCEPT SELECT image_hash FROM items)
                    """)
            }
            counts.merge(try Self.distinctSummary(db).counts) { $1 }
        }
        var result = StageResult(records: counts["images"] ?? 0, counts: counts, unit: "images")
        result.meta = [
            "model": settings.model, "backbone_hash": backbone, StageOutput.reuseKeyName: reuseKey,
            "precision": settings.precision.rawValue,
            "visual_dim": String(MobileNetV2.featureCount), "image_size": String(network.config.imageSize),
        ].merging(clock.meta) { $1 }
        return result
    }

    /// The distinct images with features: of the whole output, not a sum over shards.
    @Sendable static func distinctSummary(_ db: Database) throws -> OutputSummary {
        OutputSummary(counts: ["distinct_images": try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM features") ?? 0])
    }

    /// Which of `hashes` have a features row in `database` already.
    static func present(_ hashes: [String], in db: Database) throws -> Set<String> {
        guard !hashes.isEmpty else { return [] }
        let lookup = try BoundStatement(db, sql: "SELECT 1 FROM features WHERE image_hash = ?")
        return Set(try hashes.filter { hash in
            lookup.bind(1, hash)
            return try lookup.firstInteger() != nil
        })
    }

    /// A features row's own hash: of its image hash and its features' bytes.
    static func rowHash(imageHash: String, visual: Data) -> String {
        let hasher = FileContentHasher()
        Data("\(imageHash)\n".utf8).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        visual.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize()
    }
}
