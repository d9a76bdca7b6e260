import ArgumentParser
import LoomCore
import LoomImaging
import LoomImages

/// `loom images` / `loom-images`: item images → normalised pixels in work/images.sqlite.
public struct ImagesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "images", abstract: "Decode, orient, resize and crop every item's image into work/images.sqlite.",
        version: LoomVersion.current)

    @Option(help: "The work directory (reads catalog.sqlite).")
    var work: String = "work"

    @Option(help: "Side of the square output.")
    var size: Int = 224

    @Option(help: "The shorter side is resized to this before the centre crop.")
    var resizeShorter: Int = 256

    @Option(help: "raw (RGB8) or jpeg (quality 95).")
    var encoding: String = "jpeg"

    @Flag(help: "Keep JPEGs whose decoder recovered from damage (truncation, corrupt data).")
    var lenient = false

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        guard let encoding = ImagesSettings.Encoding(rawValue: encoding) else { throw ValidationError("--encoding must be raw or jpeg") }
        var settings = ImagesSettings.defaults
        settings.size = size
        settings.resizeShorter = resizeShorter
        settings.encoding = encoding
        settings.lenient = lenient
        try StageCommandRunner.run(ImagesStage(), settings: settings, work: work, global: global)
    }
}
