extension StageOutputFile {
    /// `text.sqlite`, written by stage text.
    /// Each item's token ids (`TokenIDsBlob`, `meta.id_width` bytes each) and the vocabulary they
    /// index; `meta` also records `vocab_hash` and `vocab_size` (`TokenizationMeta`).
    public static let text = StageOutputFile(stage: "text", fileName: "text.sqlite", schema: """
        CREATE TABLE tokens (id INTEGER PRIMARY KEY, length INTEGER NOT NULL, truncated INTEGER NOT NULL, ids BLOB NOT NULL);
        CREATE TABLE vocab (id INTEGER PRIMARY KEY, token TEXT NOT NULL);
        """)
}
