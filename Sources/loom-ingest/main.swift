import LoomCLI

IngestCommand.main()
