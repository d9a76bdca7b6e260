import Foundation
import GRDB
import LoomCore
import LoomImaging
import LoomInference
import LoomTokenizers
import LoomText

/// Stage embed: every catalog item's image (from images.sqlite) and token ids (from text.sqlite)
/// through LoomNet → `work/embeddings.sqlite`: the fused, L2-normalised vector of each item, and
/// the pooled 1280-d MobileNetV2 features of its image, which training reuses.
///
/// Fallback for a missing tower: an item without an image gets a zero visual vector (and NULL
/// `visual`), one without text a zero text vector; the fusion MLP runs on the rest. Both are
/// counted in the report (`text_only`, `image_only`). An item with neither is a reject.
public struct EmbedStage: Stage {
    public typealias Settings = EmbedSettings

    public static let name = "embed"
    public static let outputFileName = "embeddings.sqlite"
    static let chunkItems = 512

    public static let noInputs = RejectReason("no_image_or_text", countsTowardLimit: false)
    public static let badImage = RejectReason("bad_stored_image")
    public static let badTokens = RejectReason("bad_token_ids")

    public init() {}

    /// The three earlier outputs and the model's files (its weights, or the backbone it starts from).
    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        let stages: [StageInput] = [
            .stage(name: "ingest", fileName: "catalog.sqlite"), .stage(name: "images", fileName: "images.sqlite"),
            .stage(name: "text", fileName: "text.sqlite"),
        ]
        return stages + Self.modelFiles(settings.model).map { .file(label: "model", path: $0) }
    }

    /// The files whose content makes up the model in `directory`.
    package static func modelFiles(_ directory: String) -> [String] {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        var files = [path("config.json")]
        if FileManager.default.fileExists(atPath: path("model.safetensors")) {
            files.append(path("model.safetensors"))
        } else if let config = try? LoomNetConfig.load(path: path("config.json")), let backbone = config.backboneWeights {
            files.append(backbone.hasPrefix("/") ? backbone : path(backbone))
        }
        if FileManager.default.fileExists(atPath: path("vocab.txt")) { files.append(path("vocab.txt")) }
        return files
    }

    /// One item's inputs as read from the work directory.
    package struct Item: Sendable {
        package var id: Int64
        package var asin: String
        var image: StoredImage?
        var tokens: [Int32]?
    }

    struct StoredImage: Sendable {
        var width: Int
        var height: Int
        var encoding: String
        var pixels: Data
    }

    package enum Prepared: Sendable {
        case input(LoomNet.Input)
        case reject(RejectReason, String)
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        let network = try LoomNet(directory: settings.model)
        let catalog = try StageOutputReader.open(path: context.workPath("catalog.sqlite"))
        let images = try StageOutputReader.open(path: context.workPath("images.sqlite"))
        let text = try StageOutputReader.open(path: context.workPath("text.sqlite"))
        defer { try? catalog.close(); try? images.close(); try? text.close() }
        let idWidth = try Self.checkVocabulary(text: text, textPath: context.workPath("text.sqlite"), model: settings.model, config: network.config)

        try output.database.write { db in
            try db.execute(sql: """
                CREATE TABLE embeddings (id INTEGER PRIMARY KEY, vector BLOB NOT NULL, visual BLOB, has_image INTEGER NOT NULL, has_text INTEGER NOT NULL)
                """)
        }
        let total = try catalog.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") ?? 0 }
        let progress = context.progress("embed items", total: total)
        defer { progress.finish() }
        var counts = ["items": 0, "embedded": 0, "image_and_text": 0, "image_only": 0, "text_only": 0]
        var after = Int64.min
        while true {
            let chunk = try Self.readChunk(after: after, catalog: catalog, images: images, text: text, idWidth: idWidth)
            guard let last = chunk.last else { break }
            after = last.id
            let items = chunk.filter { context.shard.contains(key: $0.asin) }
            let prepared = try ParallelMap.map(items, threads: context.threads) { Self.prepare($0, config: network.config) }
            var inputs: [(Item, LoomNet.Input)] = []
            for (item, outcome) in zip(items, prepared) {
                switch outcome {
                case .input(let input): inputs.append((item, input))
                case .reject(let reason, let detail):
                    output.rejects.record(source: item.asin, position: "item \(item.id)", reason: reason, detail: detail)
                }
            }
            for start in stride(from: 0, to: inputs.count, by: settings.batch) {
                let batch = Array(inputs[start..<min(start + settings.batch, inputs.count)])
                let results = try network.forward(batch.map(\.1), threads: context.threads)
                try output.database.write { db in
                    let insert = try db.makeStatement(sql: "INSERT INTO embeddings (id, vector, visual, has_image, has_text) VALUES (?, ?, ?, ?, ?)")
                    for ((item, _), result) in zip(batch, results) {
                        let hasImage = result.visualPooled != nil, hasText = result.textLast != nil
                        try insert.execute(arguments: [item.id, FloatBlob.encode(result.embedding),
                                                       result.visualPooled.map(FloatBlob.encode), hasImage, hasText])
                        counts[hasImage && hasText ? "image_and_text" : hasImage ? "image_only" : "text_only", default: 0] += 1
                        counts["embedded", default: 0] += 1
                    }
                }
            }
            counts["items", default: 0] += items.count
            progress.advance(by: chunk.count)
        }
        var result = StageResult(records: counts["items"] ?? 0, counts: counts, unit: "items")
        result.meta = [
            "model": settings.model, "dim": String(network.embeddingDim), "visual_dim": String(MobileNetV2.featureCount),
            "image_size": String(network.config.imageSize), "missing_tower": "zero vector",
            // Training reuses the `visual` column when its backbone and images are the ones it has.
            "backbone_hash": try BackboneFingerprint.of(directory: settings.model),
        ]
        return result
    }

    /// The items after `after` in id order, with their stored image and token ids.
    package static func readChunk(after: Int64, catalog: DatabaseQueue, images: DatabaseQueue, text: DatabaseQueue, idWidth: Int) throws -> [Item] {
        var items = try catalog.read { db in
            try Row.fetchAll(db, sql: "SELECT id, asin FROM items WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, chunkItems])
                .map { Item(id: $0["id"], asin: $0["asin"]) }
        }
        guard let first = items.first?.id, let last = items.last?.id else { return [] }
        let index = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1.id, $0) })
        try images.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, width, height, encoding, pixels FROM images WHERE id BETWEEN ? AND ?",
                                           arguments: [first, last])
            while let row = try rows.next() {
                guard let slot = index[row["id"]] else { continue }
                items[slot].image = StoredImage(width: row["width"], height: row["height"], encoding: row["encoding"], pixels: row["pixels"])
            }
        }
        try text.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, ids FROM tokens WHERE id BETWEEN ? AND ?", arguments: [first, last])
            while let row = try rows.next() {
                guard let slot = index[row["id"]] else { continue }
                items[slot].tokens = TextStage.ids(fromBlob: row["ids"], width: idWidth)
            }
        }
        return items
    }

    /// Decodes the stored image and checks the ids; a problem with one item rejects that item only.
    package static func prepare(_ item: Item, config: LoomNetConfig) -> Prepared {
        let size = config.imageSize
        var pixels: [UInt8]?
        if let image = item.image {
            guard image.width == size, image.height == size else {
                return .reject(badImage, "stored image is \(image.width)×\(image.height); the model takes \(size)×\(size) (rerun images with size \(size))")
            }
            switch image.encoding {
            case "raw":
                guard image.pixels.count == size * size * 3 else { return .reject(badImage, "\(image.pixels.count) raw bytes, expected \(size * size * 3)") }
                pixels = [UInt8](image.pixels)
            case "jpeg":
                do {
                    let (rgb, width, height, _) = try JPEGDecoder.decodeRGB([UInt8](image.pixels), maxPixels: UInt64(size * size))
                    guard width == size, height == size else { return .reject(badImage, "stored JPEG is \(width)×\(height)") }
                    pixels = rgb
                } catch {
                    return .reject(badImage, "stored JPEG does not decode: \(error.message)")
                }
            default:
                return .reject(badImage, "unknown encoding '\(image.encoding)'")
            }
        }
        let tokens = item.tokens ?? []
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.text.vocabSize }) {
            return .reject(badTokens, "token id \(bad) is outside the model's vocabulary of \(config.text.vocabSize)")
        }
        guard pixels != nil || !tokens.isEmpty else {
            return .reject(noInputs, "the item has neither a stored image nor token ids (see the images and text rejects)")
        }
        return .input(LoomNet.Input(pixels: pixels, tokens: Array(tokens.prefix(config.text.maxLen))))
    }

    /// text.sqlite's id width; fails when its ids were made with another vocabulary than the model's.
    package static func checkVocabulary(text: DatabaseQueue, textPath: String, model: String, config: LoomNetConfig) throws -> Int {
        let meta = try text.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map { ($0["key"] as String, $0["value"] as String) })
        }
        guard let idWidth = meta["id_width"].flatMap(Int.init), idWidth == 2 || idWidth == 4 else {
            throw LoomError.badInput(path: textPath, position: "meta.id_width", reason: "missing or not 2 or 4")
        }
        let vocabPath = (model as NSString).appendingPathComponent("vocab.txt")
        if FileManager.default.fileExists(atPath: vocabPath), let textHash = meta["vocab_hash"] {
            let modelHash = TextStage.vocabularyHash(try WordPieceVocabulary(path: vocabPath).tokens)
            guard modelHash == textHash else {
                throw LoomError.usage("\(textPath) was tokenised with another vocabulary than the model's \(vocabPath); rerun text with --vocab \(vocabPath)")
            }
        }
        if let size = meta["vocab_size"].flatMap(Int.init), size > config.text.vocabSize {
            throw LoomError.usage("\(textPath) has a vocabulary of \(size) tokens; the model's embedding has \(config.text.vocabSize) rows")
        }
        return idWidth
    }
}
