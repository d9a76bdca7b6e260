extension StageOutputFile {
    /// `images.sqlite`, written by stage images.
    /// `pixels`: the distinct normalised images (`StoredImage`: `width`×`height` RGB8, `raw` or
    /// `jpeg`), each under its own hash (`content_hash`, `StoredImage.contentHash`), stored once
    /// however many items share it. `images`: each item's image, by `pixels_hash` (the stored
    /// image's `content_hash`, by which features knows an image without reading it) and
    /// `source_hash`, the XXH3-128 of the image file's bytes it was made from (a rerun reuses
    /// the image of an unchanged file, moved or renamed too). `cache_file_hashes` remembers
    /// each file's hash with its stamp (`FileStamp`), so a rerun need not read an unchanged
    /// file; as a `cache_` table it is not part of the content hash.
    public static let images = StageOutputFile(stage: "images", fileName: "images.sqlite", schema: """
        CREATE TABLE images (id INTEGER PRIMARY KEY, source_hash TEXT NOT NULL, pixels_hash TEXT NOT NULL);
        CREATE INDEX images_by_source ON images (source_hash);
        CREATE TABLE pixels (content_hash TEXT NOT NULL UNIQUE, width INTEGER NOT NULL, height INTEGER NOT NULL,
            encoding TEXT NOT NULL, pixels BLOB NOT NULL);
        CREATE TABLE cache_file_hashes (path TEXT PRIMARY KEY, size INTEGER NOT NULL, modified INTEGER NOT NULL,
            inode INTEGER NOT NULL, hash TEXT NOT NULL);
        """)
}
