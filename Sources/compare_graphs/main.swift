// SPDX-License-Identifier: Apache-2.0

import GraphCommands

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

exit(CompareGraphsCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
