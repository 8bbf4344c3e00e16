// SPDX-License-Identifier: Apache-2.0

import GraphCommands

ConvertMemmappedCommand.mainThenExit(arguments: Array(CommandLine.arguments.dropFirst()))
