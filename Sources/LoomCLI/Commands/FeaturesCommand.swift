import ArgumentParser
import LoomCore
import LoomFeatures
import LoomInference

/// `loom features` / `loom-features`: stored images → backbone features in work/features.sqlite.
public struct FeaturesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "features", abstract: "Run the frozen MobileNetV2 backbone once per distinct image into work/features.sqlite.",
        discussion: """
            Train and embed read the pooled features from here. A rerun copies the features of every image whose \
            stored bytes and backbone are unchanged from the previous output, and computes only the rest.
            """,
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "Model directory whose backbone computes the features (train's and embed's models must have the same backbone).")
    var model: String = FeaturesSettings.defaultModel

    @Option(help: "Arithmetic of the backbone's 1×1 convolutions: fp32, or int8 (faster where the CPU has AVX-512 VNNI; features within cosine 0.993-0.9992 of fp32).")
    var precision: BackbonePrecision = FeaturesSettings.defaults.precision

    @OptionGroup var rejectRatio: RejectRatioOption

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        var settings = FeaturesSettings.defaults
        settings.model = model
        settings.precision = precision
        settings.maxRejectRatio = rejectRatio.ratio(or: settings.maxRejectRatio)
        try StageCommandRunner.run(FeaturesStage(), settings: settings, work: workOptions.work, global: global)
    }
}
