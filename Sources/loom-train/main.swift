import LoomCLI

TrainCommand.main()
