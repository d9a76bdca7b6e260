extension StageOutputFile {
    /// `index.sqlite`, written by stage index.
    /// The product, written to the out directory: the items a query can return and their unit
    /// vectors (float32 little-endian; cosine is the dot product). Any SQLite client reads it.
    /// Two spaces: `vectors` is the fused compatibility space (what goes with an item),
    /// `text_vectors` the sentence space of the items' text (what an item is; only items with
    /// text, and only when the embed stage had a `text_model`; `meta.text_model`, `text_dim`).
    /// `type_pairs`: a type-aware model's weights per (query type, partner type): the score of a
    /// partner p of type T for a query q of type Q is Σ wᵢ·qᵢ·pᵢ with w the row (Q, T), so a
    /// query multiplies its vector by w and searches `vectors` as usual. Empty for a plain model.
    public static let index = StageOutputFile(stage: "index", fileName: "index.sqlite", schema: """
        CREATE TABLE items (id INTEGER PRIMARY KEY, asin TEXT NOT NULL UNIQUE, category TEXT, title TEXT, image TEXT,
            type TEXT NOT NULL);
        CREATE TABLE vectors (id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
        CREATE TABLE text_vectors (id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
        \(typePairsSchema)
        """)
}
