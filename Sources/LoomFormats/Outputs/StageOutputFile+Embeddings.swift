extension StageOutputFile {
    /// `embeddings.sqlite`, written by stage embed.
    /// Each item's fused unit vector (`FloatBlob`), which towers it had, and `inputs_hash`, what
    /// the model read for it (its image's hash and its token ids): a rerun with the same model
    /// copies the vector of unchanged inputs.
    public static let embeddings = StageOutputFile(stage: "embed", fileName: "embeddings.sqlite", schema: """
        CREATE TABLE embeddings (id INTEGER PRIMARY KEY, vector BLOB NOT NULL, has_image INTEGER NOT NULL, has_text INTEGER NOT NULL,
            inputs_hash TEXT NOT NULL);
        CREATE INDEX embeddings_by_inputs ON embeddings (inputs_hash);
        """)
}
