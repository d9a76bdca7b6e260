import LoomCLI

TextCommand.main()
