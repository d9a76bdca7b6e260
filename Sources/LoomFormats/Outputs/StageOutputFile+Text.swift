extension StageOutputFile {
    /// `text.sqlite`, written by stage text.
    /// Each item's token ids (`TokenIDsBlob`, `meta.id_width` bytes each) and the vocabulary they
    /// index; `meta` also records `vocab_hash` and `vocab_size` (`TokenizationMeta`).
    /// `text_hash` is the XXH3-128 of the text the ids were made from: a rerun with the same
    /// tokenizer copies the ids of an unchanged text.
    public static let text = StageOutputFile(stage: "text", fileName: "text.sqlite", schema: """
        CREATE TABLE tokens (id INTEGER PRIMARY KEY, length INTEGER NOT NULL, truncated INTEGER NOT NULL, ids BLOB NOT NULL,
            text_hash TEXT NOT NULL);
        CREATE INDEX tokens_by_text ON tokens (text_hash);
        CREATE TABLE vocab (id INTEGER PRIMARY KEY, token TEXT NOT NULL);
        """)
}
