extension StageOutputFile {
    /// `train.sqlite`, written by stage train.
    /// Training's record, one row per epoch (the model itself goes to a model directory). Each
    /// epoch's seconds are in `meta` (`epoch_seconds`), not in a table: the content hash covers
    /// what training made, and two identical runs never take the same time.
    public static let train = StageOutputFile(stage: "train", fileName: "train.sqlite", schema: """
        CREATE TABLE epochs (epoch INTEGER PRIMARY KEY, loss REAL NOT NULL, valid_auc REAL NOT NULL,
            triplets INTEGER NOT NULL, steps INTEGER NOT NULL)
        """)
}
