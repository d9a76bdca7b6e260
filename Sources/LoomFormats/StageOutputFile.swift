import LoomCore

/// One stage's output file in the work directory, named once for the stage that writes it and
/// every stage that reads it: a later stage declares it as an input (`input`) and opens it by
/// `fileName`.
public struct StageOutputFile: Sendable, Equatable {
    /// The stage that writes the file (its name in pipeline files and `meta.stage`).
    public let stage: String
    public let fileName: String

    public init(stage: String, fileName: String) {
        self.stage = stage
        self.fileName = fileName
    }

    /// The file as an input of a later stage: its `meta.content_hash` decides freshness.
    public var input: StageInput { .stage(name: stage, fileName: fileName) }

    /// Items, edges, image paths and URLs (`items`, `edges`).
    public static let catalog = StageOutputFile(stage: "ingest", fileName: "catalog.sqlite")
    /// Normalised pixels per item (`images`).
    public static let images = StageOutputFile(stage: "images", fileName: "images.sqlite")
    /// Token ids per item (`tokens`, `vocab`), in `TokenIDs` blobs.
    public static let text = StageOutputFile(stage: "text", fileName: "text.sqlite")
    /// Splits, triplets with `NegativesBlob` negatives, fill-in-the-blank questions.
    public static let triplets = StageOutputFile(stage: "triplets", fileName: "triplets.sqlite")
    /// Training's record (the model itself goes to a model directory).
    public static let train = StageOutputFile(stage: "train", fileName: "train.sqlite")
    /// Fused vectors and backbone features per item (`embeddings`).
    public static let embeddings = StageOutputFile(stage: "embed", fileName: "embeddings.sqlite")
    /// The product, written to the out directory (`items`, `vectors`).
    public static let index = StageOutputFile(stage: "index", fileName: "index.sqlite")
}
