import LoomCLI

ImagesCommand.main()
