extension StageOutputFile {
    /// `embeddings.sqlite`, written by stage embed.
    /// Each item's fused unit vector (`FloatBlob`), and which towers it had.
    public static let embeddings = StageOutputFile(stage: "embed", fileName: "embeddings.sqlite", schema: """
        CREATE TABLE embeddings (id INTEGER PRIMARY KEY, vector BLOB NOT NULL, has_image INTEGER NOT NULL, has_text INTEGER NOT NULL)
        """)
}
