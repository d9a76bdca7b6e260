extension StageOutputFile {
    /// `features.sqlite`, written by stage features.
    /// The pooled 1280-d MobileNetV2 features (`FloatBlob`) of each distinct stored image, once
    /// per image however many items share it (`features.id` is the lowest item id with that
    /// image), and the image each item has (`items.image_hash`, a `StoredImage.contentHash`).
    /// `meta.backbone_hash` names the backbone (`BackboneFingerprint`) that computed them.
    public static let features = StageOutputFile(stage: "features", fileName: "features.sqlite", schema: """
        CREATE TABLE features (id INTEGER PRIMARY KEY, image_hash TEXT NOT NULL UNIQUE, visual BLOB NOT NULL);
        CREATE TABLE items (id INTEGER PRIMARY KEY, image_hash TEXT NOT NULL);
        """)
}
