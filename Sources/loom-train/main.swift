import LoomCLI

LoomEntry.main(TrainCommand.self)
