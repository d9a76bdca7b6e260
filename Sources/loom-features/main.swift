import LoomCLI

FeaturesCommand.main()
