import LoomCLI

LoomEntry.main(EmbedCommand.self)
