extension StageOutputFile {
    /// `features.sqlite`, written by stage features.
    /// `features`: the pooled 1280-d MobileNetV2 features (`FloatBlob`) of each distinct stored
    /// image, once per image however many items share it, by `image_hash` (a
    /// `StoredImage.contentHash`), with the row's own hash (`content_hash`, of the image hash and
    /// the features: the table counts in the output's content hash as the set of those).
    /// `items`: the image each item has. `meta.backbone_hash` names the backbone
    /// (`BackboneFingerprint`) that computed them. The rows' hashes are indexed, so the content
    /// hash reads them without the 5 kB rows they end.
    public static let features = StageOutputFile(stage: "features", fileName: "features.sqlite", schema: """
        CREATE TABLE features (image_hash TEXT NOT NULL UNIQUE, visual BLOB NOT NULL, content_hash TEXT NOT NULL);
        CREATE TABLE items (id INTEGER PRIMARY KEY, image_hash TEXT NOT NULL);
        CREATE INDEX features_by_content ON features (content_hash);
        """)

    /// Brings a features output of the layout before `features_by_content` to this one, its rows kept.
    public static let featuresIndexUpgrade = "CREATE INDEX IF NOT EXISTS features_by_content ON features (content_hash)"
}
