import Foundation
import LoomCore

/// What every single-stage command does once its flags became settings: take the work
/// directory's lock, run the stage (always: a stage run by hand is never skipped), print the
/// summary line.
enum StageCommandRunner {
    static func run<S: Stage>(_ stage: S, settings: S.Settings, work: String, global: GlobalOptions,
                              out: String = "out", productFileName: String? = nil) throws {
        try requiringVectorUnits {
            var context = try global.context(work: work, out: out)
            context.productFileName = productFileName
            let lock = try WorkLock(workDirectory: work, scope: .stage(S.name, context.shard))
            defer { lock.release() }
            let report = try StageRunner(context: context).run(stage, settings: settings.resolvingBundledPaths())
            print(report.summaryLine)
        }
    }
}
