import ArgumentParser
import Foundation
import LoomCore

/// `loom merge`: a stage's shard outputs → its whole output, as an unsharded run makes it.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Combine the outputs of a stage's --shard i/n runs into the whole output.",
        discussion: """
            Refuses (exit 65) a set that is incomplete, holds a shard twice, or whose shards were made from different \
            inputs, settings or Loom versions. The shard files are removed after a successful merge unless --keep-shards.
            """)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "The stage whose shards to merge (ingest, images, text, features, embed, index).")
    var stage: String

    @Option(help: "The number of shards (default: the one count of shard files present).")
    var shards: Int?

    @Flag(help: "Keep the shard files after merging.")
    var keepShards = false

    @Option(help: "Stage index: the out directory, or the index file as `loom index --out` named it (its shards lie beside it).")
    var out: String = "out"

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try requiringVectorUnits {
            guard let descriptor = StageCatalog.all.first(where: { $0.name == stage }) else {
                throw LoomError.usage("unknown stage (known: \(StageCatalog.all.map(\.name).joined(separator: ", ")))", key: "--stage")
            }
            guard descriptor.shardable else {
                throw LoomError.usage("stage \(stage) runs whole only; it has no shards to merge", key: "--stage")
            }
            // `out/x.sqlite` names the index file (shards `out/x.shard-i-of-n.sqlite`), as `loom index --out` does.
            let namesFile = (out as NSString).pathExtension == "sqlite"
            let directory = namesFile ? (out as NSString).deletingLastPathComponent : out
            var context = try global.context(work: workOptions.work, out: directory.isEmpty ? "." : directory)
            context.shard = .whole
            if namesFile { context.productFileName = (out as NSString).lastPathComponent }
            let lock = try WorkLock(workDirectory: workOptions.work, scope: .stage(stage, .whole))
            defer { lock.release() }
            let report = try descriptor.merge(context, shards, keepShards)
            print(report.summaryLine)
        }
    }
}
