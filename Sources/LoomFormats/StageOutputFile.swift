import LoomCore

/// One stage's output file in the work directory, named once for the stage that writes it and
/// every stage that reads it: its stage, its file name and its tables. The writing stage creates
/// the tables from `schema`; a later stage declares the file as an input (`input`) and opens it
/// by `fileName`. Each output is declared in `Outputs/StageOutputFile+<Output>.swift`.
public struct StageOutputFile: Sendable, Equatable {
    /// The stage that writes the file (its name in pipeline files and `meta.stage`).
    public let stage: String
    public let fileName: String
    /// The SQL that creates the output's tables (`meta` and `rejects` are the runner's).
    public let schema: String

    public init(stage: String, fileName: String, schema: String) {
        self.stage = stage
        self.fileName = fileName
        self.schema = schema
    }

    /// The file as an input of a later stage: its `meta.content_hash` decides freshness.
    public var input: StageInput { .stage(name: stage, fileName: fileName) }
}
