import LoomCLI

LoomEntry.main(ImagesCommand.self)
