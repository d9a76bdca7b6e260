import LoomCLI

EmbedCommand.main()
