extension StageOutputFile {
    /// `index.sqlite`, written by stage index.
    /// The product, written to the out directory: the items a query can return and their unit
    /// vectors (float32 little-endian; cosine is the dot product). Any SQLite client reads it.
    public static let index = StageOutputFile(stage: "index", fileName: "index.sqlite", schema: """
        CREATE TABLE items (id INTEGER PRIMARY KEY, asin TEXT NOT NULL UNIQUE, category TEXT, title TEXT, image TEXT,
            type TEXT NOT NULL);
        CREATE TABLE vectors (id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
        """)
}
