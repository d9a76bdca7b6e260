extension StageOutputFile {
    /// `embeddings.sqlite`, written by stage embed.
    /// Each item's fused unit vector (`FloatBlob`), which towers it had, and `inputs_hash`, what
    /// the model read for it (its image's hash and its token ids): a rerun with the same model
    /// copies the vector of unchanged inputs. With a `text_model`, `text_embeddings` holds each
    /// item's sentence vector (title and description through the sentence encoder, float32 LE,
    /// unit length) with the hash of the token ids it read; it is empty without one.
    /// `type_pairs` holds a type-aware model's weights per (query type, partner type), both
    /// orders (`TypePairWeights`, float32 LE); it is empty for a plain cosine model.
    public static let embeddings = StageOutputFile(stage: "embed", fileName: "embeddings.sqlite", schema: """
        CREATE TABLE embeddings (id INTEGER PRIMARY KEY, vector BLOB NOT NULL, has_image INTEGER NOT NULL, has_text INTEGER NOT NULL,
            inputs_hash TEXT NOT NULL);
        CREATE INDEX embeddings_by_inputs ON embeddings (inputs_hash);
        CREATE TABLE text_embeddings (id INTEGER PRIMARY KEY, vector BLOB NOT NULL, inputs_hash TEXT NOT NULL);
        CREATE INDEX text_embeddings_by_inputs ON text_embeddings (inputs_hash);
        \(typePairsSchema)
        """)

    /// Type-pair weights (in embeddings.sqlite and index.sqlite alike).
    public static let typePairsSchema = """
        CREATE TABLE type_pairs (query_type TEXT NOT NULL, partner_type TEXT NOT NULL, weights BLOB NOT NULL,
            PRIMARY KEY (query_type, partner_type));
        """
}
