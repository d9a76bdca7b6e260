import LoomCLI

LoomEntry.main(TextCommand.self)
