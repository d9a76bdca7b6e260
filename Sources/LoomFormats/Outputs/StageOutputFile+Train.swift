extension StageOutputFile {
    /// `train.sqlite`, written by stage train.
    /// Training's record, one row per epoch (the model itself goes to a model directory).
    public static let train = StageOutputFile(stage: "train", fileName: "train.sqlite", schema: """
        CREATE TABLE epochs (epoch INTEGER PRIMARY KEY, loss REAL NOT NULL, valid_auc REAL NOT NULL,
            triplets INTEGER NOT NULL,
            steps INTEGER NOT NULL, seconds REAL, triplets_per_second REAL)
        """)
}
