extension StageOutputFile {
    /// `catalog.sqlite`, written by stage ingest.
    /// Items, their co-purchase edges, image paths and URLs: everything later stages know of the
    /// catalog. `items.id` is the order of first appearance over the catalog files; `type` a
    /// `CoarseType`; `edges.kind` an `EdgeKind`. Each (src, dst, kind) is stored once, by source
    /// item; the writer keeps them unique (an index for it cost a tenth of ingest).
    public static let catalog = StageOutputFile(stage: "ingest", fileName: "catalog.sqlite", schema: """
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            asin TEXT NOT NULL UNIQUE,
            title TEXT,
            description TEXT,
            brand TEXT,
            price REAL,
            category TEXT,
            type TEXT NOT NULL,
            image TEXT,
            image_url TEXT,
            source TEXT NOT NULL,
            line INTEGER NOT NULL
        );
        CREATE TABLE edges (
            src INTEGER NOT NULL,
            dst INTEGER NOT NULL,
            kind TEXT NOT NULL
        );
        """)
}
