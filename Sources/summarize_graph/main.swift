// SPDX-License-Identifier: Apache-2.0

import GraphCommands

SummarizeGraphCommand.mainThenExit(arguments: Array(CommandLine.arguments.dropFirst()))
