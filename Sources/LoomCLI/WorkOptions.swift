import ArgumentParser

/// The work directory flag of every command that reads or writes stage outputs.
struct WorkOptions: ParsableArguments {
    @Option(help: "The work directory: earlier stages' outputs are read from it, this stage's written to it.")
    var work: String = "work"
}
