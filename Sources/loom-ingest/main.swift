import LoomCLI

LoomEntry.main(IngestCommand.self)
