import SwitchboardCLI

await SwitchboardCommand.runFromCommandLine()
