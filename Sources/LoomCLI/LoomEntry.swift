import ArgumentParser
import Foundation
import LoomCore

/// The entry point of `loom` and the `loom-<stage>` programs: parses the arguments as
/// swift-argument-parser does (its usage errors exit 64), runs the command, and gives any error
/// the command throws its status from the README's table — an error that escaped a command's
/// own reporting would otherwise leave with the parser's generic status 1.
public enum LoomEntry {
    public static func main<Command: ParsableCommand>(_ type: Command.Type) -> Never {
        Interruption.install()
        var command: any ParsableCommand
        do {
            command = try type.parseAsRoot()
        } catch {
            type.exit(withError: error)
        }
        do {
            try command.run()
            Interruption.yieldIfInterrupted()
            Interruption.critical { type.exit() }
        } catch {
            // A command that failed because an interruption stopped its work exits with 75.
            Interruption.yieldIfInterrupted()
            if isArgumentParserOwn(error) { type.exit(withError: error) }
            let classified = LoomError.classify(error)
            FileHandle.standardError.write(Data("loom: \(classified)\n".utf8))
            Foundation.exit(classified.exitStatus.rawValue)
        }
    }

    /// The errors swift-argument-parser gives meaning to itself (an exit status, a clean exit
    /// after help, a usage error, and its internal ones: `--help` reaches `run` as one): passed
    /// on to it.
    private static func isArgumentParserOwn(_ error: any Error) -> Bool {
        error is ExitCode || error is CleanExit || error is ValidationError
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}
