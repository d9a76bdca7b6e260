import LoomCLI

IndexCommand.main()
