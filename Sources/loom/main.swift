import LoomCLI

LoomCommand.main()
