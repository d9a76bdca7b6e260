import LoomCLI

LoomEntry.main(IndexCommand.self)
