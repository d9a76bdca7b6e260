import ArgumentParser
import LoomCore
import LoomImaging
import LoomImages

/// `loom images` / `loom-images`: item images → normalised pixels in work/images.sqlite.
public struct ImagesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "images", abstract: "Decode, orient, resize and crop every item's image into work/images.sqlite.",
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "Side of the square output.")
    var size: Int = ImagesSettings.defaults.size

    @Option(help: "The shorter side is resized to this before the centre crop.")
    var resizeShorter: Int = ImagesSettings.defaults.resizeShorter

    @Option(help: "How the pixels are stored: raw RGB8, or JPEG at quality \(ImagesSettings.defaults.jpegQuality).")
    var encoding: ImagesSettings.Encoding = ImagesSettings.defaults.encoding

    @Flag(help: "Keep JPEGs whose decoder recovered from damage (truncation, corrupt data).")
    var lenient = false

    @OptionGroup var rejectRatio: RejectRatioOption

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        var settings = ImagesSettings.defaults
        settings.size = size
        settings.resizeShorter = resizeShorter
        settings.encoding = encoding
        settings.lenient = lenient
        settings.maxRejectRatio = rejectRatio.ratio(or: settings.maxRejectRatio)
        try StageCommandRunner.run(ImagesStage(), settings: settings, work: workOptions.work, global: global)
    }
}
