extension StageOutputFile {
    /// `images.sqlite`, written by stage images.
    /// Each item's normalised pixels (`StoredImage`): `width`×`height` RGB8, `raw` or `jpeg`.
    public static let images = StageOutputFile(stage: "images", fileName: "images.sqlite", schema: """
        CREATE TABLE images (id INTEGER PRIMARY KEY, width INTEGER NOT NULL, height INTEGER NOT NULL, encoding TEXT NOT NULL,
            pixels BLOB NOT NULL)
        """)
}
