// SPDX-License-Identifier: Apache-2.0

import GraphCommands

TransformGraphCommand.mainThenExit(arguments: Array(CommandLine.arguments.dropFirst()))
