import Foundation
import LoomCore
import LoomTestSupport

// Usage: loom-stage-probe WORK ROWS DELAY_MS [OFFSET]
// Runs SquaresStage under the work lock, as `loom run` would. Tests kill it half-way.
Interruption.install()
let arguments = CommandLine.arguments
guard arguments.count >= 4, let rows = Int(arguments[2]), let delay = Int(arguments[3]) else {
    print("usage: loom-stage-probe WORK ROWS DELAY_MS [OFFSET]", to: &StandardError.stream)
    exit(ExitStatus.usage.rawValue)
}
let offset = arguments.count > 4 ? Int(arguments[4]) ?? 0 : 0
let context = StageContext(workDirectory: arguments[1], threads: 1, showProgress: false)
do {
    let lock = try WorkLock(workDirectory: context.workDirectory)
    defer { lock.release() }
    let settings = SquaresStage.Settings(rows: rows, source: nil, delayMilliseconds: delay, offset: offset, maxRejectRatio: 0.05)
    let report = try StageRunner(context: context).run(SquaresStage(), settings: settings)
    print(report.summaryLine)
} catch let error as LoomError {
    print("loom-stage-probe: \(error)", to: &StandardError.stream)
    exit(error.exitStatus.rawValue)
}
