extension StageOutputFile {
    /// `triplets.sqlite`, written by stage triplets.
    /// Each item's split (`ItemSplit.Part`), one row per positive pair with its negatives
    /// (`NegativesBlob`), and the fill-in-the-blank questions (`CandidateList`).
    public static let triplets = StageOutputFile(stage: "triplets", fileName: "triplets.sqlite", schema: """
        CREATE TABLE splits (item INTEGER PRIMARY KEY, split TEXT NOT NULL);
        CREATE TABLE triplets (id INTEGER PRIMARY KEY, anchor INTEGER NOT NULL, positive INTEGER NOT NULL,
            weight REAL NOT NULL, mentions INTEGER NOT NULL, reciprocal INTEGER NOT NULL, split TEXT NOT NULL,
            negatives BLOB NOT NULL);
        CREATE TABLE fitb (id INTEGER PRIMARY KEY, anchor INTEGER NOT NULL, answer INTEGER NOT NULL,
            candidates TEXT NOT NULL);
        """)
}
