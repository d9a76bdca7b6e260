import LoomCLI

LoomEntry.main(TripletsCommand.self)
