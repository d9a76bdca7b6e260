import LoomCLI

LoomEntry.main(FeaturesCommand.self)
