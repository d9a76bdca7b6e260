import LoomCLI

LoomEntry.main(FetchCommand.self)
