extension StageOutputFile {
    /// `fetch.sqlite`, written by stage fetch.
    /// `fetches`: one row per item that has an image URL and no image file of its own, in item id
    /// order: the URL as the catalog gives it, `status` `ok` or `failed`, the last HTTP status,
    /// the photo's `bytes`, its `sha256` (of the bytes, hex; not `content_hash`, which marks a table of
/// self-hashed rows for `ContentHash`) and `path` in the
    /// content-addressed photo store (`<images_dir>/ab/abcdef….jpg`; one file however many items
    /// share the photo), or for a failure its reason code in `error` (a `FetchFailure` code, also
    /// in `rejects` with the detail), and the HTTP requests it took (`attempts`, redirects and
    /// retries included; 0 for a URL refused before any connection). The images stage reads the
    /// photos of the `ok` rows.
    public static let fetch = StageOutputFile(stage: "fetch", fileName: "fetch.sqlite", schema: """
        CREATE TABLE fetches (
            item INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            status TEXT NOT NULL,
            http_status INTEGER,
            bytes INTEGER,
            sha256 TEXT,
            path TEXT,
            error TEXT,
            attempts INTEGER NOT NULL
        );
        """)
}
