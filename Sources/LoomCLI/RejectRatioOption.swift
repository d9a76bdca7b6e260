import ArgumentParser

/// `--max-reject-ratio` of every stage command: an engineer rerunning one stage on a bad batch
/// can allow more rejects than the stage's default (or fewer) without a pipeline file.
struct RejectRatioOption: ParsableArguments {
    @Option(help: "Fail (exit 65) when more than this fraction of records is rejected (default: the stage's own: 0.05, fetch 0.5).")
    var maxRejectRatio: Double?

    func validate() throws {
        if let maxRejectRatio, !(0...1).contains(maxRejectRatio) {
            throw ValidationError("--max-reject-ratio must be between 0 and 1, got \(maxRejectRatio)")
        }
    }

    /// The ratio given, else the settings' own.
    func ratio(or current: Double) -> Double { maxRejectRatio ?? current }
}
