import LoomCLI

TripletsCommand.main()
