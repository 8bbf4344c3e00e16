// SPDX-License-Identifier: Apache-2.0

import GraphCommands

CompareGraphsCommand.mainThenExit(arguments: Array(CommandLine.arguments.dropFirst()))
