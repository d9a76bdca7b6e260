import LoomCore

extension StageContext {
    /// Where an earlier stage's output is in the work directory.
    public func workPath(_ file: StageOutputFile) -> String { workPath(file.fileName) }
}
