import LoomCLI

LoomEntry.main(LoomCommand.self)
